//go:build linux

package cpuset

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// allowedList reads the Cpus_allowed_list line of a /proc status file.
func allowedList(t *testing.T, status string) (string, bool) {
	t.Helper()
	data, err := os.ReadFile(status)
	if err != nil {
		return "", false // the task exited
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v), true
		}
	}
	t.Fatalf("%s: no Cpus_allowed_list", status)
	return "", false
}

// taskMasks returns Cpus_allowed_list of every thread of process dir
// ("/proc/self" or "/proc/PID"), keyed by thread id.
func taskMasks(t *testing.T, dir string) map[string]string {
	t.Helper()
	tasks, err := filepath.Glob(filepath.Join(dir, "task/*/status"))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("%s: no tasks (%v)", dir, err)
	}
	masks := make(map[string]string, len(tasks))
	for _, status := range tasks {
		if mask, ok := allowedList(t, status); ok {
			masks[filepath.Base(filepath.Dir(status))] = mask
		}
	}
	return masks
}

// assertAllThreads fails unless every thread of process dir has mask want.
func assertAllThreads(t *testing.T, dir, want string) {
	t.Helper()
	for tid, mask := range taskMasks(t, dir) {
		if mask != want {
			t.Errorf("%s thread %s: Cpus_allowed_list %q, want %q", dir, tid, mask, want)
		}
	}
}

// inherited is Inherited or a fatal error.
func inherited(t *testing.T) Set {
	t.Helper()
	mask, err := Inherited()
	if err != nil {
		t.Fatal(err)
	}
	return mask
}

func TestSupported(t *testing.T) {
	if !Supported() {
		t.Fatal("Linux must support affinity")
	}
}

func TestInherited(t *testing.T) {
	mask := inherited(t)
	status, _ := allowedList(t, "/proc/self/status")
	if mask.String() != status {
		t.Fatalf("Inherited() = %q, /proc/self/status says %q", mask, status)
	}
	t.Logf("inherited mask: %s", mask)
}

func TestUniverseReal(t *testing.T) {
	u, err := Universe(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(u) == 0 {
		t.Fatal("empty universe")
	}
	if data, err := os.ReadFile("/sys/devices/system/cpu/online"); err == nil {
		online, err := Parse(string(data))
		if err != nil {
			t.Fatal(err)
		}
		if !u.IsSubsetOf(online) {
			t.Errorf("universe %s not within online %s", u, online)
		}
	}
	// The kernel never allows a thread outside the cgroup cpuset, so the
	// inherited mask must lie within a correctly read universe.
	if mask := inherited(t); !mask.IsSubsetOf(u) {
		t.Errorf("inherited mask %s outside universe %s", mask, u)
	}
	t.Logf("universe: %s, plan: %v", u, Plan(u, 0))
}

// pinnedChild is a running helper child started by StartPinned.
type pinnedChild struct {
	cmd   *exec.Cmd
	stdin interface{ Close() error }
}

// startChild starts the helper with StartPinned(cpus) and waits until its
// extra threads exist.
func startChild(t *testing.T, start func(*exec.Cmd) error) (*pinnedChild, error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	// atexit_sleep_ms: a -race child otherwise lingers 1 s after exiting.
	cmd.Env = append(os.Environ(), helperEnv+"=1", "GORACE=atexit_sleep_ms=0")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := start(cmd); err != nil {
		return nil, err
	}
	c := &pinnedChild{cmd: cmd, stdin: stdin}
	t.Cleanup(c.stop)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	return c, nil
}

// stop closes the child's stdin and reaps it (idempotent).
func (c *pinnedChild) stop() {
	if c.cmd.ProcessState != nil {
		return
	}
	c.stdin.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// assertChildPinned checks the child and all its threads run on cpus.
func assertChildPinned(t *testing.T, c *pinnedChild, cpus Set) {
	t.Helper()
	dir := filepath.Join("/proc", strconv.Itoa(c.cmd.Process.Pid))
	mask, _ := allowedList(t, filepath.Join(dir, "status"))
	if mask != cpus.String() {
		t.Errorf("child %s: Cpus_allowed_list %q, want %q", dir, mask, cpus)
	}
	masks := taskMasks(t, dir)
	if len(masks) < helperThreads+1 {
		t.Errorf("child has %d threads, want at least %d", len(masks), helperThreads+1)
	}
	for tid, mask := range masks {
		if mask != cpus.String() {
			t.Errorf("child thread %s: Cpus_allowed_list %q, want %q", tid, mask, cpus)
		}
	}
}

// onMain runs f on the main OS thread and waits for it.
func onMain(f func()) {
	done := make(chan struct{})
	mainThread <- func() { f(); close(done) }
	<-done
}

// TestStartPinnedProof is the proof that StartPinned pins the child and
// every thread it creates, without moving any thread of this process.
func TestStartPinnedProof(t *testing.T) {
	before := inherited(t)
	if len(before) < 2 {
		t.Skipf("need 2 allowed CPUs, have %s", before)
	}
	assertAllThreads(t, "/proc/self", before.String())
	cpu := Set{before[1]} // CPU 1 on a plain 2-core machine

	c, err := startChild(t, func(cmd *exec.Cmd) error { return StartPinned(cmd, cpu) })
	if err != nil {
		t.Fatal(err)
	}
	assertChildPinned(t, c, cpu)
	c.stop()

	if after := inherited(t); !after.Equal(before) {
		t.Errorf("process mask changed: %s → %s", before, after)
	}
	assertAllThreads(t, "/proc/self", before.String())
}

// TestStartPinnedConcurrent starts dozens of pinned children from several
// goroutines at once, each block different, while a sampler watches the
// main thread; afterwards no thread of this process may keep a block.
func TestStartPinnedConcurrent(t *testing.T) {
	before := inherited(t)
	if len(before) < 2 {
		t.Skipf("need 2 allowed CPUs, have %s", before)
	}
	blocks := []Set{{before[1]}, {before[0]}, before[:2]}

	stopSampler := make(chan struct{})
	var samples, bad atomic.Int64
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			select {
			case <-stopSampler:
				return
			default:
			}
			if mask, _ := allowedList(t, "/proc/self/status"); mask != before.String() {
				bad.Add(1)
			}
			samples.Add(1)
			time.Sleep(200 * time.Microsecond)
		}
	})

	const goroutines, perGoroutine = 4, 8
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				cpus := blocks[(g+i)%len(blocks)]
				c, err := startChild(t, func(cmd *exec.Cmd) error { return StartPinned(cmd, cpus) })
				if err != nil {
					t.Error(err)
					return
				}
				assertChildPinned(t, c, cpus)
				c.stop()
			}
		})
	}
	wg.Wait()
	close(stopSampler)
	sampler.Wait()

	if bad.Load() != 0 {
		t.Errorf("main thread seen off its mask in %d of %d samples", bad.Load(), samples.Load())
	}
	assertAllThreads(t, "/proc/self", before.String())
	t.Logf("%d children, %d main-thread samples, %d threads in this process",
		goroutines*perGoroutine, samples.Load(), len(taskMasks(t, "/proc/self")))
}

// TestStartPinnedFromMainThread drives the path where StartPinned's
// goroutine finds itself on the main thread: it must fork elsewhere.
func TestStartPinnedFromMainThread(t *testing.T) {
	before := inherited(t)
	if len(before) < 2 {
		t.Skipf("need 2 allowed CPUs, have %s", before)
	}
	cpu := Set{before[1]}
	var onMainThread bool
	var forker, forkerMask, mainMask string
	testHookPinned = func() {
		forker = strconv.Itoa(unix.Gettid())
		forkerMask, _ = allowedList(t, "/proc/self/task/"+forker+"/status")
		mainMask, _ = allowedList(t, "/proc/self/status")
	}
	defer func() { testHookPinned = nil }()
	c, err := startChild(t, func(cmd *exec.Cmd) error {
		var err error
		onMain(func() {
			onMainThread = unix.Gettid() == unix.Getpid()
			done := make(chan error, 1)
			startOnPinnedThread(cmd, cpu, done)
			err = <-done
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !onMainThread {
		t.Fatal("onMain did not run on the main thread")
	}
	// Inside the window: the forking thread had the block, the main
	// thread (what Inherited and /proc/self/status report) did not.
	if forker == strconv.Itoa(unix.Getpid()) || forkerMask != cpu.String() || mainMask != before.String() {
		t.Errorf("in the window: forking thread %s mask %q (want %s, not the main thread), main thread mask %q (want %s)",
			forker, forkerMask, cpu, mainMask, before)
	}
	assertChildPinned(t, c, cpu)
	c.stop()
	assertAllThreads(t, "/proc/self", before.String())
}

func TestStartPinnedErrors(t *testing.T) {
	before := inherited(t)
	online, err := os.ReadFile("/sys/devices/system/cpu/possible")
	if err != nil {
		t.Skip(err)
	}
	possible, err := Parse(string(online))
	if err != nil {
		t.Fatal(err)
	}
	for _, cpus := range []Set{
		{possible[len(possible)-1] + 1}, // no such CPU: EINVAL, nothing started
		{maxMaskBits},                   // not representable
	} {
		cmd := exec.Command("true")
		err := StartPinned(cmd, cpus)
		if err == nil {
			cmd.Wait()
			t.Errorf("StartPinned(%s) started", cpus)
			continue
		}
		if cmd.Process != nil {
			t.Errorf("StartPinned(%s) failed but started: %v", cpus, err)
		}
		if cpus[0] < maxMaskBits && !errors.Is(err, unix.EINVAL) {
			t.Errorf("StartPinned(%s): %v, want EINVAL", cpus, err)
		}
		t.Logf("StartPinned(%s): %v", cpus, err)
	}
	assertAllThreads(t, "/proc/self", before.String())
}

func TestStartPinnedEmpty(t *testing.T) {
	before := inherited(t)
	c, err := startChild(t, func(cmd *exec.Cmd) error { return StartPinned(cmd, nil) })
	if err != nil {
		t.Fatal(err)
	}
	assertChildPinned(t, c, before) // unpinned: the parent's mask
	c.stop()
}
