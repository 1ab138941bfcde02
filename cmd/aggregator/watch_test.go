package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
	"github.com/mlperf-tools/aggregator/pkg/transport"
	"github.com/mlperf-tools/aggregator/pkg/watch"
)

// watchReadSnap reads a snapshot JSON file.
func watchReadSnap(t *testing.T, path string) *snapshot.Snapshot {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := snapshot.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// watchSockDir is a socket directory short enough for unix socket paths.
func watchSockDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "w")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// watchBuf is a bytes.Buffer safe for one writer and a polling reader.
type watchBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *watchBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *watchBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// watchPub is an in-process snapshot publisher (the daemon's own
// transport.Publisher) for the in-process watch tests.
type watchPub struct {
	t   *testing.T
	pub *transport.Publisher
	ep  string
}

func newWatchPub(t *testing.T) *watchPub {
	ep := transport.IPCEndpoint(watchSockDir(t), "met")
	pub, err := transport.NewPublisher(ep, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close(0) })
	return &watchPub{t: t, pub: pub, ep: ep}
}

// waitPeer waits until a subscriber is connected and subscribed.
func (p *watchPub) waitPeer() {
	p.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if st := p.pub.Stats(); len(st.Peers) > 0 && st.Peers[0].Subscriptions > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.t.Fatal("the watcher never subscribed")
}

func (p *watchPub) publish(s *snapshot.Snapshot) { p.pub.Publish(snapshot.AppendFrame(nil, s)) }

// watchLive is a live snapshot captured from the daemon (pkg/watch's).
func watchLive(t *testing.T) *snapshot.Snapshot {
	return watchReadSnap(t, filepath.Join("..", "..", "pkg", "watch", "testdata", "live.json"))
}

func watchFinal(t *testing.T) *snapshot.Snapshot {
	return watchReadSnap(t, filepath.Join("..", "..", "testdata", "replay", "streaming", "expected.json"))
}

// watchSetCounter sets a counter of s.
func watchSetCounter(s *snapshot.Snapshot, name string, v int64) {
	for i := range s.Counters {
		if s.Counters[i].Name == name {
			s.Counters[i].Value = snapshot.Int(v)
		}
	}
}

type watchRun struct {
	code     int
	err      error
	out, log *watchBuf
	done     chan struct{}
	cancel   context.CancelCauseFunc
}

// startWatch runs runWatch in-process.
func startWatch(f watchFlags, ep string, tty bool) *watchRun {
	if f.series == "" {
		f.series = watch.DefaultSeries
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	r := &watchRun{out: &watchBuf{}, log: &watchBuf{}, done: make(chan struct{}), cancel: cancel}
	out := watchOut{w: r.out, errw: r.log, tty: tty}
	if tty {
		out.size = func() (int, int) { return 100, 30 }
	}
	go func() {
		defer close(r.done)
		r.code, r.err = runWatch(ctx, &f, ep, slog.New(slog.DiscardHandler), out)
	}()
	return r
}

func (r *watchRun) wait(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(d):
		r.cancel(errors.New("test timeout"))
		<-r.done
		t.Fatalf("watch did not exit within %v; stdout:\n%s\nstderr:\n%s", d, r.out, r.log)
	}
}

// TestWatchPlainConflates: plain mode prints at most one line per
// --interval however fast snapshots come, always the newest, then on the
// terminal snapshot its line and the full final view, and returns 0.
func TestWatchPlainConflates(t *testing.T) {
	p := newWatchPub(t)
	r := startWatch(watchFlags{interval: 200 * time.Millisecond, width: 100}, p.ep, false)
	p.waitPeer()
	s := watchLive(t)
	const n = 100
	t0 := time.Now()
	for i := 1; i <= n; i++ { // 100 snapshots at 100 Hz
		s.Counter, s.TimestampNs = int64(i), int64(i)*10e6
		watchSetCounter(s, "total_samples_completed", int64(i))
		p.publish(s)
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(t0)
	fin := watchFinal(t)
	fin.Counter = n + 1
	p.publish(fin)
	r.wait(t, 10*time.Second)
	if r.err != nil || r.code != 0 {
		t.Fatalf("runWatch = %d, %v; stderr:\n%s", r.code, r.err, r.log)
	}
	if !strings.Contains(r.log.String(), "waiting for "+p.ep) {
		t.Errorf("stderr lacks the waiting line:\n%s", r.log)
	}
	out := r.out.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var live []string
	for _, l := range lines {
		if strings.HasPrefix(l, "state=live") {
			live = append(live, l)
		}
	}
	// One line per 200 ms (+1 for the first, +1 for timer slack).
	if max := int(elapsed/(200*time.Millisecond)) + 2; len(live) > max || len(live) < 2 {
		t.Errorf("%d live lines over %v, want 2..%d:\n%s", len(live), elapsed, max, out)
	}
	// Each line shows the newest snapshot: 100 completions per second.
	for _, l := range live[1:] {
		if !strings.Contains(l, "qps=100.00") {
			t.Errorf("live line with a wrong rate: %s", l)
		}
	}
	view := watch.View(fin, watch.Rates{}, watch.Options{Source: p.ep, Width: 100})
	want := append([]string{watch.Line(fin, watch.Rates{}, ""), ""}, view...)
	if got := lines[len(lines)-len(want):]; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the output does not end with the final line and view:\n%s\n--- want\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(out, "\x1b") {
		t.Error("escape sequences in plain mode")
	}
}

// TestWatchTTYInProcess: on a terminal the view is drawn in place on the
// alternate screen (cursor home, clear), and the terminal is restored
// before the final view is printed on the normal screen.
func TestWatchTTYInProcess(t *testing.T) {
	p := newWatchPub(t)
	r := startWatch(watchFlags{}, p.ep, true)
	p.waitPeer()
	s := watchLive(t)
	for i := 1; i <= 3; i++ {
		s.Counter, s.TimestampNs = int64(i), int64(i)*250e6
		p.publish(s)
		time.Sleep(120 * time.Millisecond)
	}
	fin := watchFinal(t)
	fin.Counter = 4
	p.publish(fin)
	r.wait(t, 10*time.Second)
	if r.code != 0 || r.err != nil {
		t.Fatalf("runWatch = %d, %v", r.code, r.err)
	}
	out := r.out.String()
	if !strings.HasPrefix(out, watch.EnterScreen) {
		t.Errorf("output does not start by entering the alternate screen: %q", out[:min(len(out), 40)])
	}
	screen, normal, ok := strings.Cut(out, watch.LeaveScreen)
	if !ok {
		t.Fatal("the alternate screen was never left")
	}
	if strings.Count(normal, "\x1b") != 0 {
		t.Errorf("escape sequences after leaving the alternate screen: %q", normal)
	}
	if strings.Count(screen, "\x1b[H") < 2 || !strings.Contains(screen, "state live") {
		t.Errorf("no in-place redraws of the live view on the alternate screen")
	}
	// The final view fits the 30-row terminal with a row to spare.
	want := strings.Join(watch.View(fin, watch.Rates{}, watch.Options{Source: p.ep, Width: 100, Height: 29}), "\n") + "\n"
	if normal != want {
		t.Errorf("final view on the normal screen:\n%s\n--- want\n%s", normal, want)
	}
}

// TestWatchTimeoutAndInterrupt: --timeout exits 2 when nothing arrives; a
// cancelled context (Ctrl-C) exits 130, restoring the terminal.
func TestWatchTimeoutAndInterrupt(t *testing.T) {
	t.Parallel()
	ep := transport.IPCEndpoint(watchSockDir(t), "none")
	r := startWatch(watchFlags{timeout: 300 * time.Millisecond}, ep, false)
	r.wait(t, 5*time.Second)
	if r.code != watchExitTimeout || !strings.Contains(r.log.String(), "no snapshot from "+ep) {
		t.Errorf("timeout: code %d, stderr %q", r.code, r.log)
	}

	r = startWatch(watchFlags{}, ep, true)
	time.Sleep(300 * time.Millisecond)
	r.cancel(exitSignal{syscall.SIGINT, watchExitSIGINT})
	r.wait(t, 5*time.Second)
	if r.code != 130 {
		t.Errorf("interrupt: code %d", r.code)
	}
	out := r.out.String()
	if !strings.Contains(out, "waiting for "+ep) || !strings.HasSuffix(out, watch.LeaveScreen) {
		t.Errorf("interrupted tty output: %q", out)
	}
	if !strings.Contains(r.log.String(), "stopped by SIGINT") {
		t.Errorf("stderr %q", r.log)
	}
}

// TestWatchCLI: the real binary: bad command lines exit 1 with one FATAL
// line; SIGINT while waiting exits 130; --timeout exits 2.
func TestWatchCLI(t *testing.T) {
	t.Parallel()
	dir := watchSockDir(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "give --socket-dir"},
		{[]string{"--metrics-socket", "met"}, "--socket-dir is required"},
		{[]string{"--socket-dir", dir, "--metrics-socket", "met", "--connect", "ipc:///x"}, "excludes"},
		{[]string{"--connect", "udp://x:1"}, "want ipc://"},
		{[]string{"--connect", "ipc:///x", "--interval", "soon"}, "want seconds or a duration"},
		{[]string{"--connect", "ipc:///x", "--interval", "-1"}, "--interval must be >= 0"},
		{[]string{"--connect", "ipc:///x", "extra"}, "unknown command"},
	} {
		b, err := exec.Command(binPath, append([]string{"watch"}, c.args...)...).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.HasPrefix(string(b), "FATAL: ") || !strings.Contains(string(b), c.want) {
			t.Errorf("watch %v: %v, output %q; want exit 1 and FATAL ... %s", c.args, err, b, c.want)
		}
	}
	if b, err := exec.Command(binPath, "--help").CombinedOutput(); err != nil || !strings.Contains(string(b), "watch") {
		t.Errorf("watch is not listed in --help: %v\n%s", err, b)
	}

	cmd := exec.Command(binPath, "watch", "--socket-dir", dir, "--metrics-socket", "met")
	var stderr watchBuf
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(stderr.String(), "waiting for ipc://"+dir+"/met") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("SIGINT: %v, want exit 130; stderr %q", err, stderr.String())
	}

	b, err := exec.Command(binPath, "watch", "--connect", "ipc://"+dir+"/met", "--timeout", "0.2").CombinedOutput()
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(b), "no snapshot from") {
		t.Errorf("--timeout: %v, output %q; want exit 2", err, b)
	}
}

// launchWatched runs the streaming golden stream through the real daemon
// (testdata/launcher.py, paced to last a few seconds) and calls during with
// the daemon's socket directory while it runs.
//
// The socket directory is created in a fresh directory of its own, where
// it is the only agg* entry.
func launchWatched(t *testing.T, during func(sockDir, out string, stop <-chan struct{})) (launchResult, string) {
	t.Helper()
	return launchWatchedCase(t, "streaming", during)
}

// launchWatchedCase is launchWatched on another golden stream.
func launchWatchedCase(t *testing.T, name string, during func(sockDir, out string, stop <-chan struct{})) (launchResult, string) {
	t.Helper()
	base := watchSockDir(t)
	c := golden(t, name)
	return launchIn(t, base, binPath, filepath.Join(c.dir, "events.jsonl.gz"), nil, func(out string, stop <-chan struct{}) {
		m, _ := filepath.Glob(filepath.Join(base, "agg*"))
		if len(m) != 1 {
			t.Errorf("socket directory: found %v", m)
			return
		}
		during(m[0], out, stop)
	}, []string{"--batch", strconv.Itoa(max(50, countLines(t, c.events())/70)), "--pace", "0.05"}, append([]string{"--publish-interval", "0.1"}, c.args...))
}

// watchFinalCompleted is total_samples_completed of the run's final_snapshot.json.
func watchFinalCompleted(t *testing.T, out string) (*snapshot.Snapshot, int64) {
	s := watchReadSnap(t, filepath.Join(out, snapshot.FinalFileName))
	n, _ := s.CounterValue(snapshot.TotalSamplesCompleted)
	return s, int64(n)
}

// watchTmux drives a private tmux server (its own socket and config).
type watchTmux struct {
	t          *testing.T
	sock, conf string
}

func newWatchTmux(t *testing.T) *watchTmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed (scripts/install-deps.sh installs it)")
	}
	dir := watchSockDir(t)
	conf := filepath.Join(dir, "tmux.conf")
	// Keep dead panes (their final view and exit line stay readable), no
	// status line (the pane gets all 40 rows).
	if err := os.WriteFile(conf, []byte("set -g remain-on-exit on\nset -g status off\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tm := &watchTmux{t: t, sock: filepath.Join(dir, "tmux.sock"), conf: conf}
	t.Cleanup(func() { exec.Command("tmux", "-S", tm.sock, "kill-server").Run() })
	return tm
}

func (tm *watchTmux) run(args ...string) (string, error) {
	a := append([]string{"-f", tm.conf, "-S", tm.sock}, args...)
	b, err := exec.Command("tmux", a...).CombinedOutput()
	if err != nil {
		return string(b), fmt.Errorf("tmux %v: %v: %s", args, err, b)
	}
	return string(b), nil
}

// start runs argv in a new 120x40 session, under a shell that prints
// "[watch exit N]" when it returns. (tmux's own pane_dead_status is not
// reliable here: under go test its server sometimes leaves the exited
// pane process unreaped.) The shell traps SIGINT with a no-op, so Ctrl-C
// reaches the watcher with the default disposition and the shell goes on
// to print the status.
func (tm *watchTmux) start(session string, argv ...string) {
	tm.t.Helper()
	args := append([]string{"new-session", "-d", "-s", session, "-x", "120", "-y", "40",
		"sh", "-c", `trap : INT; "$@"; echo "[watch exit $?]"`, "sh"}, argv...)
	if _, err := tm.run(args...); err != nil {
		tm.t.Fatal(err)
	}
}

// capture returns the visible pane (history too with all).
func (tm *watchTmux) capture(session string, all bool) string {
	args := []string{"capture-pane", "-p", "-t", session}
	if all {
		args = append(args, "-S", "-")
	}
	s, err := tm.run(args...)
	if err != nil {
		tm.t.Error(err)
	}
	return s
}

var watchExitRe = regexp.MustCompile(`\[watch exit (\d+)\]`)

// exited waits up to d for the watcher in session to exit and returns its
// exit status and the whole pane.
func (tm *watchTmux) exited(session string, d time.Duration) (int, string, bool) {
	deadline := time.Now().Add(d)
	for {
		pane := tm.capture(session, true)
		if m := watchExitRe.FindStringSubmatch(pane); m != nil {
			code, _ := strconv.Atoi(m[1])
			return code, pane, true
		}
		if time.Now().After(deadline) {
			return 0, pane, false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var watchCompletedRe = regexp.MustCompile(`(?m)^samples\s+issued \d+\s+completed (\d+)`)

// TestWatchTmux: `aggregator watch` in a real terminal (tmux, 120x40)
// against the real daemon fed by a real libzmq publisher: the live view
// (state live, completions, histogram rows) is redrawn in place (the title
// never appears twice), and after the run the pane shows the final view
// with state complete and final_snapshot.json's completed count, exit 0.
// Then Ctrl-C on a watch with no daemon exits it with 130.
func TestWatchTmux(t *testing.T) {
	t.Parallel()
	tm := newWatchTmux(t)
	title := "aggregator watch  "
	var sawLive, sawWaiting bool
	var liveCompleted int64
	var doubled string
	_, out := launchWatched(t, func(sock, _ string, stop <-chan struct{}) {
		tm.start("w", binPath, "watch", "--socket-dir", sock, "--metrics-socket", "met")
		deadline := time.Now().Add(12 * time.Second)
		for time.Now().Before(deadline) {
			pane := tm.capture("w", true)
			if strings.Count(pane, title) > 1 && doubled == "" {
				doubled = pane
			}
			if strings.Contains(pane, "waiting for ipc://"+sock+"/met") || strings.Contains(pane, "connected to ipc://") {
				sawWaiting = true
			}
			if m := watchCompletedRe.FindStringSubmatch(pane); m != nil && strings.Contains(pane, "state live") && strings.Contains(pane, "│█") {
				n, _ := strconv.ParseInt(m[1], 10, 64)
				if n > 0 && !sawLive {
					sawLive, liveCompleted = true, n
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	if !sawLive {
		t.Errorf("the pane never showed a live view with completions and histogram rows; last pane:\n%s", tm.capture("w", true))
	}
	if doubled != "" {
		t.Errorf("the view was not redrawn in place: two titles in the pane:\n%s", doubled)
	}
	t.Logf("live view seen with %d completed; waiting screen seen: %v", liveCompleted, sawWaiting)

	status, pane, ok := tm.exited("w", 5*time.Second)
	if !ok || status != 0 {
		t.Fatalf("watch did not exit 0 after the final snapshot (exited %v, status %d); pane:\n%s", ok, status, pane)
	}
	_, want := watchFinalCompleted(t, out)
	m := watchCompletedRe.FindStringSubmatch(pane)
	if !strings.Contains(pane, "state complete (final)") || m == nil || m[1] != strconv.FormatInt(want, 10) {
		t.Errorf("final pane lacks state complete / completed %d:\n%s", want, pane)
	}
	if n := strings.Count(pane, title); n != 1 {
		t.Errorf("final pane has %d titles, want 1:\n%s", n, pane)
	}
	if !strings.Contains(pane, "histogram sample_latency_ns") {
		t.Errorf("final pane lacks the histogram:\n%s", pane)
	}

	// Ctrl-C on a watch with no daemon.
	none := transport.IPCEndpoint(watchSockDir(t), "met")
	tm.start("c", binPath, "watch", "--connect", none)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(tm.capture("c", false), "waiting for "+none) {
		if time.Now().After(deadline) {
			t.Fatalf("no waiting screen:\n%s", tm.capture("c", false))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := tm.run("send-keys", "-t", "c", "C-c"); err != nil {
		t.Fatal(err)
	}
	status, pane, ok = tm.exited("c", 5*time.Second)
	if !ok || status != 130 {
		t.Fatalf("Ctrl-C: exited %v, status %d, want 130; pane:\n%s", ok, status, pane)
	}
	// The alternate screen was left: the waiting view is gone.
	if strings.Contains(pane, "waiting for") || !strings.Contains(pane, "stopped by SIGINT") {
		t.Errorf("terminal not restored after Ctrl-C:\n%s", pane)
	}
}

// TestWatchPlainPiped: `watch --plain` (and `watch` with stdout a pipe,
// which must pick plain mode itself) against the running daemon exits 0 on
// the final snapshot, prints at most one line per --interval, and ends
// with the final line and view of final_snapshot.json.
func TestWatchPlainPiped(t *testing.T) {
	t.Parallel()
	type proc struct {
		cmd      *exec.Cmd
		out, err watchBuf
		done     chan error
	}
	var procs []*proc
	var sockDir string
	start := time.Now()
	_, out := launchWatched(t, func(sock, _ string, _ <-chan struct{}) {
		sockDir = sock
		for _, extra := range [][]string{{"--plain"}, nil} {
			p := &proc{done: make(chan error, 1)}
			args := append([]string{"watch", "--socket-dir", sock, "--metrics-socket", "met", "--interval", "0.5", "--width", "100"}, extra...)
			p.cmd = exec.Command(binPath, args...)
			p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
			if err := p.cmd.Start(); err != nil {
				t.Error(err)
				return
			}
			go func() { p.done <- p.cmd.Wait() }()
			procs = append(procs, p)
		}
	})
	runFor := time.Since(start)
	if len(procs) != 2 {
		t.Fatal("watchers not started")
	}
	fin, completed := watchFinalCompleted(t, out)
	ep := "ipc://" + sockDir + "/met"
	wantView := watch.View(fin, watch.Rates{}, watch.Options{Source: ep, Width: 100})
	for i, p := range procs {
		select {
		case err := <-p.done:
			if err != nil {
				t.Errorf("watcher %d: %v; stderr:\n%s", i, err, p.err.String())
			}
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
			t.Fatalf("watcher %d did not exit after the final snapshot; stdout:\n%s", i, p.out.String())
		}
		text := p.out.String()
		if strings.Contains(text, "\x1b") {
			t.Errorf("watcher %d: escape sequences in piped output", i)
		}
		lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		if len(lines) < len(wantView)+2 {
			t.Fatalf("watcher %d: output too short:\n%s", i, text)
		}
		tail := lines[len(lines)-len(wantView):]
		if strings.Join(tail, "\n") != strings.Join(wantView, "\n") {
			t.Errorf("watcher %d: last lines differ from the final file's view:\n%s\n--- want\n%s", i, strings.Join(tail, "\n"), strings.Join(wantView, "\n"))
		}
		summary := lines[len(lines)-len(wantView)-2]
		if !strings.HasPrefix(summary, "state=complete ") || !strings.Contains(summary, fmt.Sprintf(" completed=%d ", completed)) {
			t.Errorf("watcher %d: final summary line %q, want state=complete completed=%d", i, summary, completed)
		}
		var live int
		for _, l := range lines {
			if strings.HasPrefix(l, "state=live") || strings.HasPrefix(l, "state=draining") {
				live++
			}
		}
		// The daemon publishes every 0.1 s; watch prints one line per 0.5 s.
		if max := int(runFor/(500*time.Millisecond)) + 2; live < 2 || live > max {
			t.Errorf("watcher %d: %d live lines in %v, want 2..%d:\n%s", i, live, runFor, max, text)
		}
		if !strings.Contains(p.err.String(), "waiting for "+ep) {
			t.Errorf("watcher %d: stderr lacks the waiting line: %q", i, p.err.String())
		}
	}
}

// TestWatchShowsInterruptedRun: a run the benchmark stopped (its
// INTERRUPTED marker before ENDED) shows as live while it runs and as
// interrupted at the end, as the final file says.
func TestWatchShowsInterruptedRun(t *testing.T) {
	t.Parallel()
	var p struct {
		cmd      *exec.Cmd
		out, err watchBuf
	}
	done := make(chan error, 1)
	_, out := launchWatchedCase(t, "interrupted-marker", func(sock, _ string, _ <-chan struct{}) {
		p.cmd = exec.Command(binPath, "watch", "--socket-dir", sock, "--metrics-socket", "met", "--interval", "0.2", "--plain")
		p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
		if err := p.cmd.Start(); err != nil {
			t.Error(err)
			return
		}
		go func() { done <- p.cmd.Wait() }()
	})
	if p.cmd == nil {
		t.Fatal("watcher not started")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("watcher: %v; stderr:\n%s", err, p.err.String())
		}
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		t.Fatal("watcher did not exit after the final snapshot")
	}
	if s := watchReadSnap(t, filepath.Join(out, snapshot.FinalFileName)); s.State != snapshot.Interrupted {
		t.Fatalf("final file state %v, want interrupted", s.State)
	}
	var live, interrupted int
	for _, l := range strings.Split(p.out.String(), "\n") {
		switch {
		case strings.HasPrefix(l, "state=live"):
			live++
		case strings.HasPrefix(l, "state=interrupted "):
			interrupted++
		}
	}
	if live == 0 || interrupted != 1 {
		t.Errorf("%d live and %d interrupted summary lines, want some and one:\n%s", live, interrupted, p.out.String())
	}
}
