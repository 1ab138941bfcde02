package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// pubSummary is pub.py's final JSON line.
type pubSummary struct {
	Sent   int     `json:"sent"`
	Bytes  int64   `json:"bytes"`
	SendS  float64 `json:"send_s"`
	TotalS float64 `json:"total_s"`
}

// expectSeq receives n frames tagged tag with sequence 0..n-1 in order,
// then the END frame.
func expectSeq(t *testing.T, s *Subscriber, tag string, n int) {
	t.Helper()
	for i := range n {
		f := recvTimeout(t, s, 10*time.Second)
		if got := topicOf(f); got != "sample.complete" {
			t.Fatalf("frame %d: topic %q, want sample.complete", i, got)
		}
		want := fmt.Sprintf("%s%08d", tag, i)
		if got := string(f[40 : 40+len(want)]); got != want {
			t.Fatalf("frame %d: payload %q, want %q", i, got, want)
		}
		s.Release(f)
	}
	f := recvTimeout(t, s, 10*time.Second)
	if topicOf(f) != "END" || string(f[40:]) != tag {
		t.Fatalf("want END %s, got topic %q payload %q", tag, topicOf(f), f[40:])
	}
}

func TestSubscriberPublisherBindsFirst(t *testing.T) {
	ep := IPCEndpoint(sockDir(t), "ev")
	pub := startPy(t, "pub.py", "--endpoint", ep, "--count", "1000", "--tag", "A")
	pub.waitLine("BOUND", 5*time.Second)

	s, err := NewSubscriber(context.Background(), ep, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	expectSeq(t, s, "A", 1000)
	var sum pubSummary
	pub.waitJSON(&sum, 10*time.Second)
	st := s.Stats()
	if st.Connects != 1 || st.Frames != 1001 || st.Pings != 0 {
		t.Errorf("stats %+v, want 1 connect, 1001 frames, 0 pings", st)
	}
}

func TestSubscriberConnectsFirst(t *testing.T) {
	dir := sockDir(t)
	ep := IPCEndpoint(dir, "ev")
	start := time.Now()
	s, err := NewSubscriber(context.Background(), ep, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A blocking dial would take zmq4's ~2.5 s; stay well below it even
	// on a loaded machine.
	if d := time.Since(start); d > time.Second {
		t.Errorf("NewSubscriber blocked for %v", d)
	}

	// zmq4's Dial gives up after ~2.5 s; the publisher appears after 5 s.
	time.Sleep(5 * time.Second)
	select {
	case <-s.Connected():
		t.Fatal("connected with no publisher")
	default:
	}
	if st := s.Stats(); st.DialFailures < 10 {
		t.Errorf("expected continued redialling, stats %+v", st)
	}

	pub := startPy(t, "pub.py", "--endpoint", ep, "--count", "500", "--tag", "L")
	select {
	case <-s.Connected():
	case <-time.After(10 * time.Second):
		t.Fatalf("not connected 10 s after publisher start; stats %+v; stderr %s", s.Stats(), pub.stderr)
	}
	expectSeq(t, s, "L", 500)
	t.Logf("stats %+v", s.Stats())
}

func TestSubscriberSurvivesPublisherRestart(t *testing.T) {
	ep := IPCEndpoint(sockDir(t), "ev")
	s, err := NewSubscriber(context.Background(), ep, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	for gen, tag := range []string{"A", "B", "C"} {
		pub := startPy(t, "pub.py", "--endpoint", ep, "--count", "300", "--tag", tag)
		expectSeq(t, s, tag, 300)
		pub.wait(10 * time.Second) // the process exits: its socket goes away
		if gen < 2 {
			waitFor(t, 5*time.Second, "disconnect", func() bool { return s.Stats().Disconnects == uint64(gen+1) })
		}
	}
	st := s.Stats()
	if st.Connects != 3 || st.Disconnects < 2 {
		t.Errorf("stats %+v, want 3 connects and >= 2 disconnects", st)
	}
}

func TestSubscriberFiltersPings(t *testing.T) {
	ep := IPCEndpoint(sockDir(t), "ev")
	// Heartbeat every 50 ms; libzmq drops the connection if nothing comes
	// back within 150 ms, so staying connected proves the PONGs work.
	pub := startPy(t, "pub.py", "--endpoint", ep, "--count", "30", "--interval", "0.1",
		"--heartbeat-ivl", "50", "--heartbeat-timeout", "150", "--tag", "H")
	s, err := NewSubscriber(context.Background(), ep, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	expectSeq(t, s, "H", 30)
	pub.wait(10 * time.Second)
	st := s.Stats()
	if st.Pings < 10 {
		t.Errorf("expected heartbeats over ~3 s at 50 ms, stats %+v", st)
	}
	if st.Frames != 31 || st.Disconnects > 1 || st.Connects != 1 {
		t.Errorf("stats %+v: want exactly the 31 data frames on one connection", st)
	}
	t.Logf("stats %+v", st)
}

func TestSubscriberJoinsMultipart(t *testing.T) {
	ep := IPCEndpoint(sockDir(t), "ev")
	startPy(t, "pub.py", "--endpoint", ep, "--count", "50", "--multipart", "--tag", "M")
	s, err := NewSubscriber(context.Background(), ep, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	expectSeq(t, s, "M", 50)
	if st := s.Stats(); st.Multipart != 50 {
		t.Errorf("stats %+v, want 50 multipart messages", st)
	}
}

func TestSubscriberCloseAndCancel(t *testing.T) {
	check := goroutineBaseline(t)
	ep := IPCEndpoint(sockDir(t), "none")

	s, err := NewSubscriber(context.Background(), ep, nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { _, err := s.Recv(); errc <- err }()
	time.Sleep(50 * time.Millisecond)
	s.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Recv after Close: %v, want ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Recv not unblocked by Close")
	}
	s.Close() // idempotent

	ctx, cancel := context.WithCancel(context.Background())
	s2, err := NewSubscriber(ctx, ep, nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := s2.Recv(); !errors.Is(err, context.Canceled) {
		t.Errorf("Recv after cancel: %v, want context.Canceled", err)
	}
	s2.Close()

	if _, err := NewSubscriber(context.Background(), "inproc://x", nil); err == nil {
		t.Error("inproc endpoint accepted")
	}
	check()
}

// TestSubscriberConnectedCloseNoLeak closes a subscriber with a live
// connection (to our own Publisher) and checks every goroutine is gone.
func TestSubscriberConnectedCloseNoLeak(t *testing.T) {
	check := goroutineBaseline(t)
	ep := IPCEndpoint(sockDir(t), "met")
	p, err := NewPublisher(ep, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSubscriber(context.Background(), ep, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "subscription", func() bool {
		st := p.Stats()
		return len(st.Peers) == 1 && st.Peers[0].Subscriptions == 1
	})
	for i := range 10 {
		p.Publish(topicFrame("MET", []byte(strconv.Itoa(i))))
		if f := recvTimeout(t, s, 5*time.Second); string(f[40:]) != strconv.Itoa(i) {
			t.Fatalf("frame %d: %q", i, f[40:])
		}
	}
	// A burst larger than the per-peer queue: the newest PeerHWM survive.
	for i := range 10 {
		p.Publish(topicFrame("MET", []byte(strconv.Itoa(100+i))))
	}
	last := recvTimeout(t, s, 5*time.Second)
	for string(last[40:]) != "109" {
		last = recvTimeout(t, s, 5*time.Second)
	}
	s.Close()
	if err := p.Close(time.Second); err != nil {
		t.Error(err)
	}
	check()
}

// TestSubscriberThroughput measures frames/s from a python3-zmq PUB sending
// upstream-sized batch frames (1000 records of 100 bytes, ~103 KB) over ipc.
func TestSubscriberThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("throughput measurement")
	}
	const frames = 10000
	for _, release := range []bool{true, false} {
		t.Run(fmt.Sprintf("release=%v", release), func(t *testing.T) {
			ep := IPCEndpoint(sockDir(t), "ev")
			pub := startPy(t, "pub.py", "--endpoint", ep, "--count", strconv.Itoa(frames),
				"--batch", "1000", "--record-size", "100", "--tag", "T")
			s, err := NewSubscriber(context.Background(), ep, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var ru0, ru1 syscall.Rusage
			var start time.Time
			var n int
			var bytes int64
			for {
				f := recvTimeout(t, s, 30*time.Second)
				if n == 0 {
					start = time.Now()
					_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
				}
				if topicOf(f) == "END" {
					break
				}
				n++
				bytes += int64(len(f))
				if release {
					s.Release(f)
				}
			}
			el := time.Since(start)
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			cpu := time.Duration(syscall.TimevalToNsec(ru1.Utime)-syscall.TimevalToNsec(ru0.Utime)) +
				time.Duration(syscall.TimevalToNsec(ru1.Stime)-syscall.TimevalToNsec(ru0.Stime))
			var sum pubSummary
			pub.waitJSON(&sum, 30*time.Second)
			if n != frames {
				t.Fatalf("received %d frames, want %d", n, frames)
			}
			t.Logf("Go SUB: %d frames of %d B in %v: %.0f frames/s, %.0f MB/s; Go process CPU %v (%.0f%% of one core)",
				n, bytes/int64(n), el.Round(time.Millisecond), float64(n)/el.Seconds(),
				float64(bytes)/el.Seconds()/1e6, cpu.Round(time.Millisecond), 100*cpu.Seconds()/el.Seconds())
			t.Logf("python PUB: send loop %.3f s (%.0f frames/s), until all handed to the kernel %.3f s",
				sum.SendS, float64(sum.Sent)/sum.SendS, sum.TotalS)
		})
	}
	t.Run("python-baseline", func(t *testing.T) {
		// The same stream into a python3-zmq SUB, for comparison.
		ep := IPCEndpoint(sockDir(t), "ev")
		pub := startPy(t, "pub.py", "--endpoint", ep, "--count", strconv.Itoa(frames),
			"--batch", "1000", "--record-size", "100", "--tag", "T")
		pub.waitLine("BOUND", 5*time.Second)
		sub := startPy(t, "sub.py", "--endpoint", ep, "--timeout", "60")
		var r struct {
			Frames   int     `json:"frames"`
			Bytes    int64   `json:"bytes"`
			ElapsedS float64 `json:"elapsed_s"`
		}
		sub.waitJSON(&r, 60*time.Second)
		if r.Frames != frames {
			t.Fatalf("python SUB got %d frames", r.Frames)
		}
		t.Logf("python SUB: %.0f frames/s, %.0f MB/s", float64(r.Frames)/r.ElapsedS, float64(r.Bytes)/r.ElapsedS/1e6)
	})
}

func TestIPCEndpoint(t *testing.T) {
	if got, want := IPCEndpoint("/tmp/d/", "ev"), "ipc://"+filepath.Join("/tmp/d", "ev"); got != want {
		t.Errorf("IPCEndpoint = %q, want %q", got, want)
	}
}

// BenchmarkSubscriberRecv measures the Go receive path alone: a Go peer
// that handshakes as PUB and writes ~100 KB batch-sized frames as fast as
// the socket takes them. Reports MB/s and allocations per frame (with
// Release, steady state should be zero).
func BenchmarkSubscriberRecv(b *testing.B) {
	for _, size := range []int{200, 100 << 10} {
		b.Run(fmt.Sprintf("frame=%d", size), func(b *testing.B) {
			dir, err := os.MkdirTemp("", "tzb")
			if err != nil {
				b.Fatal(err)
			}
			defer os.RemoveAll(dir)
			path := filepath.Join(dir, "ev")
			ln, err := net.Listen("unix", path)
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			frame := topicFrame("batch", make([]byte, size-40))
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				nc, err := ln.Accept()
				if err != nil {
					return
				}
				defer nc.Close()
				if err := handshake(nc, zmq4.Pub, time.Now().Add(5*time.Second)); err != nil {
					return
				}
				fr := newFrameReader(nc)
				if _, n, err := fr.header(); err != nil || fr.body(make([]byte, n)) != nil {
					return // the subscription
				}
				bw := bufio.NewWriterSize(nc, 256<<10)
				var hb [9]byte
				hdr := frameHeader(&hb, 0, len(frame))
				for {
					select {
					case <-stop:
						return
					default:
					}
					bw.Write(hdr) // allocation-free, unlike writeFrame
					if _, err := bw.Write(frame); err != nil {
						return
					}
				}
			}()
			s, err := NewSubscriber(context.Background(), IPCEndpoint(dir, "ev"), nil)
			if err != nil {
				b.Fatal(err)
			}
			for range 100 { // warm the free list
				f, _ := s.Recv()
				s.Release(f)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				f, err := s.Recv()
				if err != nil {
					b.Fatal(err)
				}
				s.Release(f)
			}
			b.StopTimer()
			close(stop)
			s.Close()
			<-done
		})
	}
}
