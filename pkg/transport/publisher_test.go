package transport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// subSummary is sub.py's final JSON line.
type subSummary struct {
	Frames int            `json:"frames"`
	End    bool           `json:"end"`
	Seqs   []int          `json:"seqs"`
	Topics map[string]int `json:"topics"`
}

// snapshotFrame is a MET frame carrying sequence i, padded to size bytes.
func snapshotFrame(i, size int) []byte {
	f := topicFrame("MET", fmt.Appendf(nil, "%08d", i))
	for len(f) < size {
		f = append(f, '.')
	}
	return f
}

// waitPeers waits until n peers are connected and each has subs
// subscriptions.
func waitPeers(t *testing.T, p *Publisher, n, subs int) {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("%d subscribed peers", n), func() bool {
		st := p.Stats()
		if len(st.Peers) != n {
			return false
		}
		for _, ps := range st.Peers {
			if ps.Subscriptions != subs {
				return false
			}
		}
		return true
	})
}

// TestPublisherSlowReaders: one fast python SUB, one that never reads and
// one SIGSTOPped. Publish must not block, the fast reader gets every frame,
// the stuck ones only cost drops, and Close is bounded by linger.
func TestPublisherSlowReaders(t *testing.T) {
	const (
		n      = 3000
		size   = 8 << 10 // a live snapshot with histograms is a few KB
		linger = time.Second
	)
	ep := IPCEndpoint(sockDir(t), "met")
	p, err := NewPublisher(ep, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(0)

	fast := startPy(t, "sub.py", "--endpoint", ep, "--timeout", "60")
	stuck := startPy(t, "sub.py", "--endpoint", ep, "--mode", "stuck")
	stopped := startPy(t, "sub.py", "--endpoint", ep, "--timeout", "60")
	waitPeers(t, p, 3, 1)
	stopped.signal(syscall.SIGSTOP)
	t.Cleanup(func() { _ = stopped.cmd.Process.Signal(syscall.SIGCONT) })
	_ = stuck

	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = snapshotFrame(i, size)
	}
	lat := make([]time.Duration, n)
	for i, f := range frames {
		t0 := time.Now()
		p.Publish(f)
		lat[i] = time.Since(t0)
		time.Sleep(300 * time.Microsecond)
	}
	slices.Sort(lat)
	p50, p99, pmax := lat[n/2], lat[n*99/100], lat[n-1]
	t.Logf("Publish latency with 1 fast + 2 stuck readers: p50 %v p99 %v max %v", p50, p99, pmax)
	// Latency is measured (logged above), not asserted: the machine is
	// shared. A Publish that blocked on a stuck reader would wait for
	// seconds, far past this bound.
	if pmax > 250*time.Millisecond {
		t.Errorf("Publish blocked up to %v", pmax)
	}

	// The fast reader drains; the two stuck ones stop at a few dozen frames.
	// On a loaded machine even the fast reader may lag past its 4-frame
	// queue now and then: it may lose a few frames, never most of them.
	var st PublisherStats
	waitFor(t, 20*time.Second, "fast reader to drain", func() bool {
		st = p.Stats()
		for _, ps := range st.Peers {
			if ps.Queued == 0 && ps.Sent+ps.Dropped == n && ps.Dropped < n/10 {
				return true
			}
		}
		return false
	})
	var sumDropped uint64
	slow := 0
	for _, ps := range st.Peers {
		sumDropped += ps.Dropped
		switch {
		case ps.Sent+ps.Dropped == n && ps.Dropped < n/10:
		case ps.Dropped > n/2:
			slow++
		default:
			t.Errorf("unexpected peer %+v", ps)
		}
	}
	if slow != 2 || st.Dropped != sumDropped || st.Published != n {
		t.Errorf("stats %+v: want 2 slow peers and Dropped = sum of per-peer drops", st)
	}
	t.Logf("stats before close: %+v", st)

	p.Publish(topicFrame("END", nil))
	t0 := time.Now()
	if err := p.Close(linger); err != nil {
		t.Error(err)
	}
	closeTook := time.Since(t0)
	t.Logf("Close(%v) with two stuck readers took %v", linger, closeTook)
	if closeTook > linger+500*time.Millisecond {
		t.Errorf("Close took %v, linger %v", closeTook, linger)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(ep[len("ipc://"):]), "met")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket file not unlinked: %v", err)
	}

	var sum subSummary
	fast.waitJSON(&sum, 10*time.Second)
	if !sum.End || sum.Frames < n*9/10 || len(sum.Seqs) == 0 || sum.Seqs[len(sum.Seqs)-1] != n-1 {
		t.Fatalf("fast reader: %d frames, end=%v; want nearly all %d, the newest and the final frame", sum.Frames, sum.End, n)
	}
	for i := 1; i < len(sum.Seqs); i++ {
		if sum.Seqs[i] <= sum.Seqs[i-1] {
			t.Fatalf("fast reader: seq %d after %d", sum.Seqs[i], sum.Seqs[i-1])
		}
	}
}

// TestPublisherBurstKeepsNewest: a burst faster than any reader loses
// older frames per peer but always delivers the newest (final) one.
func TestPublisherBurstKeepsNewest(t *testing.T) {
	ep := IPCEndpoint(sockDir(t), "met")
	p, err := NewPublisher(ep, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(0)
	sub := startPy(t, "sub.py", "--endpoint", ep, "--timeout", "30")
	waitPeers(t, p, 1, 1)
	const n = 20000
	for i := range n {
		p.Publish(snapshotFrame(i, 8<<10))
	}
	p.Publish(topicFrame("END", nil))
	if err := p.Close(5 * time.Second); err != nil {
		t.Error(err)
	}
	var sum subSummary
	sub.waitJSON(&sum, 10*time.Second)
	if !sum.End || !slices.IsSorted(sum.Seqs) || sum.Frames == 0 {
		t.Fatalf("burst reader: %d frames, end=%v, sorted=%v", sum.Frames, sum.End, slices.IsSorted(sum.Seqs))
	}
	t.Logf("burst of %d x 8 KB frames: python reader got %d (last seq %d) + END", n, sum.Frames, sum.Seqs[len(sum.Seqs)-1])
}

// TestPublisherSendIsLossless: the same burst through Send reaches a
// libzmq SUB whole and in order: Send waits for room instead of dropping.
func TestPublisherSendIsLossless(t *testing.T) {
	ep := IPCEndpoint(sockDir(t), "ev")
	p, err := NewPublisher(ep, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(0)
	sub := startPy(t, "sub.py", "--endpoint", ep, "--timeout", "60")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.WaitSubscribed(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 5000
	for i := range n {
		if err := p.Send(ctx, snapshotFrame(i, 8<<10)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Send(ctx, topicFrame("END", nil)); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(10 * time.Second); err != nil {
		t.Error(err)
	}
	var sum subSummary
	sub.waitJSON(&sum, 30*time.Second)
	if !sum.End || sum.Frames != n || len(sum.Seqs) != n || sum.Seqs[n-1] != n-1 || !slices.IsSorted(sum.Seqs) {
		t.Fatalf("lossless reader got %d of %d frames, end=%v", sum.Frames, n, sum.End)
	}
	if st := p.Stats(); st.Dropped != 0 {
		t.Errorf("Send dropped %d frames", st.Dropped)
	}
	if err := p.Send(ctx, topicFrame("AFTER", nil)); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
}

func TestPublisherTopicFilter(t *testing.T) {
	ep := IPCEndpoint(sockDir(t), "met")
	p, err := NewPublisher(ep, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(0)
	sub := startPy(t, "sub.py", "--endpoint", ep, "--topic", "MET,END")
	waitPeers(t, p, 1, 2)
	for i := range 3 {
		p.Publish(snapshotFrame(i, 100))
		p.Publish(topicFrame("OTHER", nil))
		p.Publish(topicFrame("ME", nil)) // shorter than the prefix
		time.Sleep(5 * time.Millisecond)
	}
	p.Publish(topicFrame("END", nil))
	var sum subSummary
	sub.waitJSON(&sum, 10*time.Second)
	if sum.Frames != 3 || sum.Topics["MET"] != 3 || len(sum.Topics) != 2 {
		t.Errorf("filtered reader got %+v", sum)
	}
}

// TestPublisherAnswersHeartbeats: a libzmq SUB with ZMQ_HEARTBEAT_TIMEOUT
// would drop a publisher that does not PONG.
func TestPublisherAnswersHeartbeats(t *testing.T) {
	ep := IPCEndpoint(sockDir(t), "met")
	p, err := NewPublisher(ep, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(0)
	sub := startPy(t, "sub.py", "--endpoint", ep, "--heartbeat-ivl", "50", "--heartbeat-timeout", "150")
	waitPeers(t, p, 1, 1)
	id := p.Stats().Peers[0].ID
	for i := range 15 {
		p.Publish(snapshotFrame(i, 200))
		time.Sleep(100 * time.Millisecond)
	}
	st := p.Stats()
	if len(st.Peers) != 1 || st.Peers[0].ID != id {
		t.Fatalf("peer reconnected (heartbeat timeout?): %+v", st)
	}
	p.Publish(topicFrame("END", nil))
	var sum subSummary
	sub.waitJSON(&sum, 10*time.Second)
	if sum.Frames != 15 || !sum.End {
		t.Errorf("heartbeating reader got %+v", sum)
	}
}

func TestPublisherStaleSocketFile(t *testing.T) {
	dir := sockDir(t)
	path := filepath.Join(dir, "met")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // leaves a stale socket file, like a crashed previous run
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	p, err := NewPublisher(IPCEndpoint(dir, "met"), nil)
	if err != nil {
		t.Fatalf("bind over stale socket: %v", err)
	}
	s, err := NewSubscriber(context.Background(), IPCEndpoint(dir, "met"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waitPeers(t, p, 1, 1)
	p.Publish(topicFrame("MET", []byte("x")))
	if f := recvTimeout(t, s, 5*time.Second); string(f[40:]) != "x" {
		t.Errorf("got %q", f)
	}
	if err := p.Close(time.Second); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket file still there after Close: %v", err)
	}
	p.Publish([]byte("after close")) // no-op, no panic
	if err := p.Close(time.Second); err != nil {
		t.Errorf("second Close: %v", err)
	}

	regular := filepath.Join(dir, "file")
	if err := os.WriteFile(regular, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewPublisher(IPCEndpoint(dir, "file"), nil); err == nil {
		t.Error("bound over a regular file")
	}
	if b, _ := os.ReadFile(regular); string(b) != "data" {
		t.Error("regular file clobbered")
	}
}

func TestPublisherTCP(t *testing.T) {
	p, err := NewPublisher("tcp://127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(time.Second)
	s, err := NewSubscriber(context.Background(), p.Endpoint(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waitPeers(t, p, 1, 1)
	p.Publish(topicFrame("MET", []byte("tcp")))
	if f := recvTimeout(t, s, 5*time.Second); string(f[40:]) != "tcp" {
		t.Errorf("got %q", f)
	}
}

// TestPublisherCloseNoLeak: Close with live python readers (one stuck) and
// a Go reader leaves no goroutine behind (zmq4's own PUB would leak its
// writer goroutine on every Close).
func TestPublisherCloseNoLeak(t *testing.T) {
	ep := IPCEndpoint(sockDir(t), "met")
	fast := startPy(t, "sub.py", "--endpoint", ep, "--timeout", "30")
	stuck := startPy(t, "sub.py", "--endpoint", ep, "--mode", "stuck")
	fast.waitLine("CONNECTED", 5*time.Second)
	stuck.waitLine("CONNECTED", 5*time.Second)
	check := goroutineBaseline(t) // python helpers' goroutines already counted

	p, err := NewPublisher(ep, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A connection that never completes the handshake must not hold Close.
	raw, err := net.Dial("unix", ep[len("ipc://"):])
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	waitPeers(t, p, 2, 1) // libzmq reconnects to the new bind on its own
	for i := range 500 {
		p.Publish(snapshotFrame(i, 8<<10))
	}
	p.Publish(topicFrame("END", nil))
	if err := p.Close(200 * time.Millisecond); err != nil {
		t.Error(err)
	}
	check()
	var sum subSummary
	fast.waitJSON(&sum, 10*time.Second)
	if !sum.End {
		t.Errorf("fast reader missed the final frame: %+v", sum.Frames)
	}
}
