package shard

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/internal/tokcorpus"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
)

// testHooks enables the worker's test-only behaviour (cmd/shardworker/testhooks.go).
const (
	testHooks  = "SHARDWORKER_TEST_HOOKS=1"
	testMarker = "\x00shardworker-test:"
)

// TestCountsMatchTokenizer: a real worker on the Llama-3 files counts a
// varied batch (the hard corpus, a 1 MB text, empty strings) exactly as
// pkg/tokenize does in process.
func TestCountsMatchTokenizer(t *testing.T) {
	dir := llama3Dir(t)
	tok, err := tokenize.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := startWorker(t, dir, 2)
	h := w.Hello()
	if h.Tokenizer != tok.Identity() {
		t.Fatalf("hello tokenizer %q, want %q", h.Tokenizer, tok.Identity())
	}

	var texts []string
	for i, x := range tokcorpus.Small(tokcorpus.DefaultSeed) {
		if i%3 == 0 {
			texts = append(texts, x.Text)
		}
	}
	texts = append(texts, "", tokcorpus.Large(tokcorpus.DefaultSeed)[0].Text, "", " ", "<|begin_of_text|>hi<|eot_id|>")
	c := tok.NewCounter()
	res, err := w.Count(context.Background(), texts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(texts) {
		t.Fatalf("%d results for %d texts", len(res), len(texts))
	}
	for i, s := range texts {
		want, err := c.CountErr(s)
		if err != nil {
			t.Fatalf("in-process count of text %d: %v", i, err)
		}
		if res[i].Count != want || res[i].Err != "" {
			t.Fatalf("text %d (%d bytes): worker %+v, tokenize %d", i, len(s), res[i], want)
		}
	}
	t.Logf("%d texts (one of 1 MB) counted identically", len(texts))

	// The worker is reusable; an empty batch answers an empty result.
	if res, err := w.Count(context.Background(), nil, nil); err != nil || len(res) != 0 {
		t.Fatalf("empty batch: %v %v", res, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestHello(t *testing.T) {
	w, logs := startWorker(t, tinyDir(t), 3)
	h := w.Hello()
	if h.Version != Version || h.PID != w.Pid() || h.Procs != 3 || !strings.HasPrefix(h.Tokenizer, "sha256:") || len(h.Tokenizer) != len("sha256:")+64 {
		t.Fatalf("hello %+v (pid %d)", h, w.Pid())
	}
	if mine := ownCPUs(t); mine != "" && h.CPUs != mine {
		t.Fatalf("hello cpus %q, want the inherited mask %q", h.CPUs, mine)
	}
	// Default procs: the CPUs of the affinity mask.
	w2, _ := startWorker(t, tinyDir(t), 0)
	if got := w2.Hello().Procs; got != countCPUs(w2.Hello().CPUs) && w2.Hello().CPUs != "" {
		t.Fatalf("default procs %d for cpus %q", got, w2.Hello().CPUs)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "msg=shardworker") || !strings.Contains(logs.String(), "pid="+itoa(w.Pid())) {
		t.Fatalf("worker stderr not forwarded with its pid:\n%s", logs)
	}
}

func TestItemErrors(t *testing.T) {
	w, _ := startWorker(t, tinyDir(t), 2, testHooks)
	texts := []string{"hello world", testMarker + "fail", "", testMarker + "panic", "hello again", testMarker + "panic"}
	res, err := w.Count(context.Background(), texts, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		isFail := strings.HasPrefix(texts[i], testMarker)
		if isFail != (r.Err != "") || isFail != (r.Count == -1) {
			t.Fatalf("item %d %q: %+v", i, texts[i], r)
		}
	}
	if !strings.Contains(res[1].Err, "failed on purpose") || !strings.Contains(res[3].Err, "tokenizer panic") {
		t.Fatalf("errors: %q, %q", res[1].Err, res[3].Err)
	}
	// Still alive and correct afterwards.
	again, err := w.Count(context.Background(), texts[:1], nil)
	if err != nil || again[0] != res[0] {
		t.Fatalf("after failures: %+v %v", again, err)
	}
}

// TestStdoutPurity: prints to stdout (fmt.Println and raw fd 1 writes, at
// start-up and while counting) end up on stderr, never in the protocol.
func TestStdoutPurity(t *testing.T) {
	w, logs := startWorker(t, tinyDir(t), 2, testHooks)
	texts := []string{"abc", testMarker + "stdout", "def", testMarker + "stdout"}
	res, err := w.Count(context.Background(), texts, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != "" || r.Count < 1 {
			t.Fatalf("item %d: %+v", i, r)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"stray line on stdout from fmt.Println", "stray line written to fd 1", "stray line on stdout while counting", "stray fd 1 write while counting"} {
		if !strings.Contains(logs.String(), want) {
			t.Fatalf("%q not forwarded from stderr:\n%s", want, logs)
		}
	}
}

func TestSIGINTIgnored(t *testing.T) {
	w, _ := startWorker(t, tinyDir(t), 1)
	for range 3 {
		if err := syscall.Kill(w.Pid(), syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := w.Count(context.Background(), []string{"still here"}, nil); err != nil {
		t.Fatalf("after SIGINT: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("exit after SIGINT: %v", err)
	}
}

// TestStdinEOFExits0 drives the binary by hand: hello, then EOF on stdin.
func TestStdinEOFExits0(t *testing.T) {
	cmd := exec.Command(workerBin(t), "--tokenizer", tinyDir(t))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f, err := NewReader(stdout).ReadFrame()
	if err != nil || f.Type != TypeHello {
		t.Fatalf("first frame %+v, %v", f, err)
	}
	stdin.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after stdin EOF: %v", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("worker did not exit on stdin EOF")
	}
}

func TestShutdownExits0(t *testing.T) {
	w, _ := startWorker(t, tinyDir(t), 1)
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-w.Exited():
	default:
		t.Fatal("Close returned before the worker was reaped")
	}
	if w.cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("exit code %d", w.cmd.ProcessState.ExitCode())
	}
	if _, err := w.Count(context.Background(), []string{"x"}, nil); err == nil {
		t.Fatal("Count on a closed worker succeeded")
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestCloseGraceKills(t *testing.T) {
	w, _ := startWorker(t, tinyDir(t), 1, testHooks)
	go w.Count(context.Background(), []string{testMarker + "sleep=30s"}, nil)
	time.Sleep(100 * time.Millisecond) // let the batch start
	t0 := time.Now()
	w.closeGrace = 200 * time.Millisecond
	err := w.Close()
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Close of a busy worker: %v", err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Fatalf("Close took %v", d)
	}
}

func TestStartFatal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Start(ctx, Config{Bin: workerBin(t), TokenizerDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "loading tokenizer") || !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("Start on an empty dir: %v", err)
	}
	_, err = Start(ctx, Config{Bin: filepath.Join(t.TempDir(), "nope"), TokenizerDir: tinyDir(t)})
	if err == nil || !strings.Contains(err.Error(), "starting") {
		t.Fatalf("Start of a missing binary: %v", err)
	}
}

// TestStartHook: Config.Start is used to start the process.
func TestStartHook(t *testing.T) {
	called := false
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := Start(ctx, Config{Bin: workerBin(t), TokenizerDir: tinyDir(t), Start: func(c *exec.Cmd) error {
		called = true
		if c.SysProcAttr == nil && pdeathsigSupported {
			t.Error("Start hook got no SysProcAttr")
		}
		return c.Start()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Kill()
	if !called {
		t.Fatal("Start hook not called")
	}
	hookErr := errors.New("pinning failed")
	_, err = Start(ctx, Config{Bin: workerBin(t), TokenizerDir: tinyDir(t), Start: func(*exec.Cmd) error { return hookErr }})
	if !errors.Is(err, hookErr) {
		t.Fatalf("Start hook error: %v", err)
	}
}

func TestOversizeBatchRefused(t *testing.T) {
	w, _ := startWorker(t, tinyDir(t), 1)
	mib := strings.Repeat("a", 1<<20)
	texts := make([]string, 300)
	for i := range texts {
		texts[i] = mib
	}
	if _, err := w.Count(context.Background(), texts, nil); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversize batch: %v", err)
	}
	if _, err := w.Count(context.Background(), []string{"ok"}, nil); err != nil {
		t.Fatalf("after an oversize batch: %v", err)
	}
}

func TestFindBin(t *testing.T) {
	if p, err := FindBin(workerBin(t)); err != nil || p != workerBin(t) {
		t.Fatalf("explicit: %q %v", p, err)
	}
	if _, err := FindBin(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("missing explicit binary accepted")
	}
	notExec := filepath.Join(t.TempDir(), "shardworker")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644)
	if _, err := FindBin(notExec); err == nil || !strings.Contains(err.Error(), "not executable") {
		t.Fatalf("non-executable: %v", err)
	}
	t.Setenv("PATH", filepath.Dir(workerBin(t)))
	if p, err := FindBin(""); err != nil || p != workerBin(t) {
		t.Fatalf("$PATH lookup: %q %v", p, err)
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := FindBin(""); err == nil || !strings.Contains(err.Error(), "$PATH") || !strings.Contains(err.Error(), string(filepath.Separator)+BinName) {
		t.Fatalf("not found: %v", err)
	}
}
