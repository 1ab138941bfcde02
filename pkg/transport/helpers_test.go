package transport

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/internal/testutil"
)

// pythonPath is Debian's interpreter, which has python3-zmq (libzmq 4.3)
// and python3-msgpack; the python3 first on PATH may not.
const pythonPath = "/usr/bin/python3"

var (
	pyOnce sync.Once
	pyErr  error
)

// requirePython skips the test when the real libzmq peer is unavailable.
func requirePython(t *testing.T) {
	t.Helper()
	pyOnce.Do(func() {
		out, err := exec.Command(pythonPath, "-c", "import zmq, msgpack; print(zmq.zmq_version())").CombinedOutput()
		if err != nil {
			pyErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	if pyErr != nil {
		t.Skipf("python3-zmq peer unavailable: %v", pyErr)
	}
}

// pyProc is a python test peer. Its stdout lines are collected; it is
// killed (SIGKILL, which also ends a SIGSTOPped process) at test cleanup.
type pyProc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	lines  chan string
	stderr *syncBuf
	exited chan struct{}
}

// syncBuf is a goroutine-safe log sink.
type syncBuf = testutil.SyncBuffer

func startPy(t *testing.T, script string, args ...string) *pyProc {
	t.Helper()
	requirePython(t)
	cmd := exec.Command(pythonPath, append([]string{"testdata/" + script}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &pyProc{t: t, name: script, cmd: cmd, lines: make(chan string, 1024), stderr: &syncBuf{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", script, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		_ = cmd.Wait()
		close(p.lines)
		close(p.exited)
	}()
	t.Cleanup(p.kill)
	return p
}

// kill ends the process if still running and reaps it.
func (p *pyProc) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		p.t.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

func (p *pyProc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %s: %v", p.name, err)
	}
}

// waitLine waits for a stdout line with the given prefix and returns it.
func (p *pyProc) waitLine(prefix string, timeout time.Duration) string {
	p.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("%s exited before printing %q; stderr:\n%s", p.name, prefix, p.stderr)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-deadline:
			p.t.Fatalf("%s: no %q line within %v; stderr:\n%s", p.name, prefix, timeout, p.stderr)
		}
	}
}

// waitJSON waits for the JSON summary line and decodes it into v.
func (p *pyProc) waitJSON(v any, timeout time.Duration) {
	p.t.Helper()
	l := p.waitLine("{", timeout)
	if err := json.Unmarshal([]byte(l), v); err != nil {
		p.t.Fatalf("%s: bad JSON %q: %v", p.name, l, err)
	}
}

// wait waits for the process to exit.
func (p *pyProc) wait(timeout time.Duration) {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		p.t.Fatalf("%s did not exit within %v; stderr:\n%s", p.name, timeout, p.stderr)
	}
}

// sockDir returns a short temporary directory for ipc sockets (unix socket
// paths are limited to 107 bytes; t.TempDir can be longer).
func sockDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "tz")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// testLogger logs through t.Log until the test finishes.
func testLogger(t *testing.T) *slog.Logger {
	w := &tWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *tWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// topicFrame builds an upstream-style frame: name NUL-padded to 40 bytes
// followed by payload.
func topicFrame(name string, payload []byte) []byte {
	f := make([]byte, 40, 40+len(payload))
	copy(f, name)
	return append(f, payload...)
}

// topicOf returns the NUL-trimmed 40-byte topic of a frame.
func topicOf(f []byte) string {
	if len(f) < 40 {
		return string(f)
	}
	return string(bytes.TrimRight(f[:40], "\x00"))
}

// recvTimeout receives one frame or fails the test after d.
func recvTimeout(t *testing.T, s *Subscriber, d time.Duration) []byte {
	t.Helper()
	type res struct {
		f   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		f, err := s.Recv()
		ch <- res{f, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("Recv: %v", r.err)
		}
		return r.f
	case <-time.After(d):
		t.Fatalf("no frame within %v (stats %+v)", d, s.Stats())
		return nil
	}
}

// goroutineBaseline records the goroutine count and, at check time, waits
// up to 3 s for it to come back down, dumping stacks if it does not.
func goroutineBaseline(t *testing.T) func() {
	t.Helper()
	before := runtime.NumGoroutine()
	return func() {
		t.Helper()
		var n int
		for range 300 {
			if n = runtime.NumGoroutine(); n <= before {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf)
	}
}

// waitFor polls cond every 10 ms until it holds or d elapses.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var _ io.Writer = (*tWriter)(nil)
