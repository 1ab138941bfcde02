package shard

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const pdeathsigSupported = true

func itoa(i int) string { return strconv.Itoa(i) }

// ownCPUs is this process's Cpus_allowed_list.
func ownCPUs(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// countCPUs counts the CPUs of a list like "0-3,8".
func countCPUs(list string) int {
	n := 0
	for part := range strings.SplitSeq(list, ",") {
		lo, hi, ok := strings.Cut(part, "-")
		a, _ := strconv.Atoi(lo)
		b := a
		if ok {
			b, _ = strconv.Atoi(hi)
		}
		n += b - a + 1
	}
	return n
}

// TestKillMidBatch: a worker SIGKILLed in the middle of a batch makes
// Count fail promptly, naming the signal.
func TestKillMidBatch(t *testing.T) {
	w, _ := startWorker(t, tinyDir(t), 1, testHooks)
	go func() {
		time.Sleep(150 * time.Millisecond)
		syscall.Kill(w.Pid(), syscall.SIGKILL)
	}()
	t0 := time.Now()
	_, err := w.Count(context.Background(), []string{"a", testMarker + "sleep=30s"}, nil)
	d := time.Since(t0)
	if !errors.Is(err, ErrWorkerDead) || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Count on a killed worker: %v", err)
	}
	if d > 2*time.Second {
		t.Fatalf("Count took %v to notice the death", d)
	}
	t.Logf("error after %v: %v", d.Round(time.Millisecond), err)
	waitGone(t, w.Pid(), time.Second, false)
}

// TestDeadlineMidBatch: ctx ending mid-batch kills and reaps the worker.
func TestDeadlineMidBatch(t *testing.T) {
	w, _ := startWorker(t, tinyDir(t), 1, testHooks)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := w.Count(ctx, []string{testMarker + "sleep=30s"}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Count past its deadline: %v", err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Fatalf("Count returned after %v", d)
	}
	// Reaped when Count returns: no /proc entry, not even a zombie.
	if st := procState(w.Pid()); st != "" {
		t.Fatalf("worker %d still in /proc (state %s) after Count returned", w.Pid(), st)
	}
	if _, err := w.Count(context.Background(), []string{"x"}, nil); !errors.Is(err, ErrWorkerDead) {
		t.Fatalf("a killed worker: %v", err)
	}
	// A ctx ending while waiting for another Count leaves the worker alone.
	w2, _ := startWorker(t, tinyDir(t), 1, testHooks)
	go w2.Count(context.Background(), []string{testMarker + "sleep=500ms"}, nil)
	time.Sleep(50 * time.Millisecond)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := w2.Count(ctx2, []string{"x"}, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("queued Count: %v", err)
	}
	if res, err := w2.Count(context.Background(), []string{"x"}, nil); err != nil || res[0].Count < 1 {
		t.Fatalf("worker after a queued Count timed out: %v %v", res, err)
	}
}

// TestStartTimeout: no hello within ctx → the process is killed and reaped.
func TestStartTimeout(t *testing.T) {
	script := t.TempDir() + "/silent"
	os.WriteFile(script, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var pid int
	_, err := Start(ctx, Config{Bin: script, TokenizerDir: "x", Start: func(c *exec.Cmd) error {
		err := c.Start()
		if err == nil {
			pid = c.Process.Pid
		}
		return err
	}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start of a silent process: %v", err)
	}
	if st := procState(pid); st != "" {
		t.Fatalf("silent process %d left in state %s", pid, st)
	}
}

// TestPdeathsig: a fake daemon (this test binary re-executed) starts a
// worker and is SIGKILLed; the worker dies with it.
func TestPdeathsig(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	daemon := exec.Command(self, "-test.run=^$")
	daemon.Env = append(os.Environ(), fakeDaemonEnv+"="+workerBin(t), fakeTokEnv+"="+tinyDir(t))
	out, err := daemon.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	daemon.Stderr = os.Stderr
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	defer daemon.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("fake daemon: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("fake daemon said %q", line)
	}
	if st := procState(pid); st == "" || st == "Z" {
		t.Fatalf("worker %d not running (state %q)", pid, st)
	}
	if err := daemon.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	daemon.Wait()
	// The orphan is reparented; its new parent may not reap it, so a
	// zombie counts as dead.
	waitGone(t, pid, 3*time.Second, true)
}
