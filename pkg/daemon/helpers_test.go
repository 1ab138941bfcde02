package daemon

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/internal/testutil"
	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
	"github.com/mlperf-tools/aggregator/pkg/transport"
)

// waitTimeout bounds every wait in these tests (upstream uses 3 s; the
// machine is shared, so be generous).
const waitTimeout = 10 * time.Second

// syncBuf is a goroutine-safe log sink.
type syncBuf = testutil.SyncBuffer

// testLogger logs into a buffer that is dumped when the test fails.
func testLogger(t *testing.T) (*slog.Logger, *syncBuf) {
	buf := &syncBuf{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon log:\n%s", buf)
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// live is a daemon running in-process (Run in a goroutine) with a Go-side
// event publisher (a lossless transport PUB, bound as the benchmark binds
// it) and a snapshot reader (transport SUB on the metrics socket).
type live struct {
	t      *testing.T
	cfg    Config
	log    *syncBuf
	cancel context.CancelFunc
	runErr chan error

	pub *transport.Publisher
	enc events.Encoder
	sub *transport.Subscriber

	mu         sync.Mutex
	frames     []snapshot.Snapshot
	readerDone chan struct{}

	stopped bool
}

// startDaemon binds the event PUB, starts Run, waits for the ready marker,
// connects the snapshot SUB, then sends STARTED (at startTs) until the first
// live snapshot shows that both subscriptions are up (ZeroMQ drops what is
// published before a subscriber has joined).
func startDaemon(t *testing.T, interval time.Duration, startTs int64) *live {
	t.Helper()
	l := startDaemonNoStart(t, interval)
	deadline := time.Now().Add(waitTimeout)
	for {
		l.send(events.RecordSpec{Type: events.SessionStarted, TimestampNs: startTs})
		if _, ok := l.waitFor(200*time.Millisecond, func(s *snapshot.Snapshot) bool { return s.State == snapshot.Live }); ok {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatal("no live snapshot after STARTED")
		}
	}
}

// startDaemonNoStart is startDaemon without the STARTED handshake; it
// returns once the snapshot SUB is connected.
func startDaemonNoStart(t *testing.T, interval time.Duration) *live {
	t.Helper()
	// IPC paths must stay under ~100 bytes: a short temp dir, not t.TempDir.
	dir, err := os.MkdirTemp("", "agd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	logger, buf := testLogger(t)
	l := &live{t: t, log: buf, runErr: make(chan error, 1), readerDone: make(chan struct{})}
	l.cfg = Config{
		SocketDir: dir, SocketName: "ev", MetricsSocket: "met", MetricsOutputDir: out,
		PublishInterval: interval, HDRSigFigs: 3, HistogramBuckets: 10, Streaming: true,
		PublisherLinger: time.Second,
	}

	l.pub, err = transport.NewPublisher(transport.IPCEndpoint(dir, l.cfg.SocketName), nil)
	if err != nil {
		t.Fatalf("bind event PUB: %v", err)
	}
	t.Cleanup(func() { l.pub.Close(0) })

	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	t.Cleanup(func() {
		if !l.stopped {
			cancel()
			select {
			case <-l.runErr:
			case <-time.After(waitTimeout):
				t.Error("Run did not return at cleanup")
			}
			l.closeReader()
		}
	})
	go func() { l.runErr <- Run(ctx, l.cfg, logger) }()

	ready := filepath.Join(out, ReadyMarker)
	for deadline := time.Now().Add(waitTimeout); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		select {
		case err := <-l.runErr:
			t.Fatalf("Run returned before readiness: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no ready marker")
		}
	}

	wctx, wcancel := context.WithTimeout(context.Background(), waitTimeout)
	defer wcancel()
	if err := l.pub.WaitSubscribed(wctx); err != nil {
		t.Fatal(err)
	}
	l.sub, err = transport.NewSubscriber(context.Background(), transport.IPCEndpoint(dir, l.cfg.MetricsSocket), nil)
	if err != nil {
		t.Fatal(err)
	}
	go l.read()
	select {
	case <-l.sub.Connected():
	case <-time.After(waitTimeout):
		t.Fatal("snapshot SUB did not connect")
	}
	return l
}

// read decodes every snapshot frame until the SUB is closed.
func (l *live) read() {
	defer close(l.readerDone)
	for {
		fr, err := l.sub.Recv()
		if err != nil {
			return
		}
		var s snapshot.Snapshot
		if err := snapshot.DecodeFrame(fr, &s); err != nil {
			l.t.Errorf("undecodable snapshot frame: %v", err)
			continue
		}
		l.mu.Lock()
		l.frames = append(l.frames, s)
		l.mu.Unlock()
	}
}

func (l *live) closeReader() {
	l.sub.Close()
	<-l.readerDone
}

// send publishes specs as one frame (a batch frame when more than one).
func (l *live) send(specs ...events.RecordSpec) {
	l.t.Helper()
	for _, s := range specs {
		l.enc.Add(s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := l.pub.Send(ctx, l.enc.Flush(nil)); err != nil {
		l.t.Fatalf("publish events: %v", err)
	}
}

// snapshots returns a copy of the frames received so far.
func (l *live) snapshots() []snapshot.Snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]snapshot.Snapshot(nil), l.frames...)
}

// waitFor polls the received frames for one matching pred.
func (l *live) waitFor(timeout time.Duration, pred func(*snapshot.Snapshot) bool) (snapshot.Snapshot, bool) {
	deadline := time.Now().Add(timeout)
	for {
		fs := l.snapshots()
		for i := len(fs) - 1; i >= 0; i-- {
			if pred(&fs[i]) {
				return fs[i], true
			}
		}
		if time.Now().After(deadline) {
			return snapshot.Snapshot{}, false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// mustWaitFor is waitFor that fails the test on timeout.
func (l *live) mustWaitFor(what string, pred func(*snapshot.Snapshot) bool) snapshot.Snapshot {
	l.t.Helper()
	s, ok := l.waitFor(waitTimeout, pred)
	if !ok {
		l.t.Fatalf("no snapshot with %s", what)
	}
	return s
}

// terminal reports a final (COMPLETE or INTERRUPTED) snapshot.
func terminal(s *snapshot.Snapshot) bool {
	return s.State == snapshot.Complete || s.State == snapshot.Interrupted
}

// wait waits for Run to return (it must return nil), closes the snapshot
// reader, then checks that Run left no goroutine of ours behind.
func (l *live) wait() {
	l.t.Helper()
	select {
	case err := <-l.runErr:
		l.stopped = true
		if err != nil {
			l.t.Fatalf("Run returned %v", err)
		}
	case <-time.After(waitTimeout):
		l.t.Fatal("Run did not return")
	}
	// The terminal frame was published before Run returned (Close lingers
	// for delivery); give the reader a moment to take it off the socket.
	l.waitFor(time.Second, terminal)
	l.closeReader()
	l.pub.Close(0)
	checkNoLeftoverGoroutines(l.t)
}

// counter returns a counter's value in s.
func counter(t *testing.T, s *snapshot.Snapshot, name string) int64 {
	t.Helper()
	for _, c := range s.Counters {
		if c.Name == name {
			return c.Value.I
		}
	}
	t.Fatalf("snapshot has no counter %s", name)
	return 0
}

// series returns a series of s.
func series(t *testing.T, s *snapshot.Snapshot, name string) snapshot.Series {
	t.Helper()
	for _, m := range s.Series {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("snapshot has no series %s", name)
	return snapshot.Series{}
}

// readFinal parses OUT/final_snapshot.json.
func readFinal(t *testing.T, dir string) *snapshot.Snapshot {
	t.Helper()
	s, err := snapshot.ReadFinal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ownPackages marks goroutines that belong to this module's non-test code.
var ownPackages = []string{"aggregator/pkg/daemon.", "aggregator/pkg/transport.", "aggregator/pkg/aggregator."}

// checkNoLeftoverGoroutines waits (settle loop) until no goroutine other
// than the caller runs or was started by this module's packages (the
// test's own event PUB is closed first).
func checkNoLeftoverGoroutines(t *testing.T) {
	t.Helper()
	var leaked []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		leaked = leaked[:0]
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "[running]") { // the caller
				continue
			}
			for _, p := range ownPackages {
				if strings.Contains(g, p) {
					leaked = append(leaked, g)
					break
				}
			}
		}
		if len(leaked) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutine(s) left behind after Run returned:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
	}
}
