package transport

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestSendReadyToPythonPull(t *testing.T) {
	for _, id := range []int64{0, 7, 300, -5, 1 << 40} {
		t.Run(strconv.FormatInt(id, 10), func(t *testing.T) {
			ep := IPCEndpoint(sockDir(t), "svc_ready_0123abcd")
			pull := startPy(t, "pull.py", "--endpoint", ep)
			pull.waitLine("BOUND", 5*time.Second)
			if err := SendReady(context.Background(), ep, id, ReadyLinger); err != nil {
				t.Fatal(err)
			}
			var got struct {
				ID  int64  `json:"id"`
				Raw string `json:"raw"`
			}
			pull.waitJSON(&got, 10*time.Second)
			if got.ID != id {
				t.Errorf("PULL decoded %d (raw %s), want %d", got.ID, got.Raw, id)
			}
		})
	}
}

// TestSendReadyPullBindsLate: the PULL appears while SendReady is retrying.
func TestSendReadyPullBindsLate(t *testing.T) {
	ep := IPCEndpoint(sockDir(t), "ready")
	errc := make(chan error, 1)
	go func() { errc <- SendReady(context.Background(), ep, 42, ReadyLinger) }()
	time.Sleep(300 * time.Millisecond)
	pull := startPy(t, "pull.py", "--endpoint", ep)
	var got struct {
		ID int64 `json:"id"`
	}
	pull.waitJSON(&got, 10*time.Second)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if got.ID != 42 {
		t.Errorf("got %d", got.ID)
	}
}

func TestSendReadyNoPeerBoundedByLinger(t *testing.T) {
	check := goroutineBaseline(t)
	ep := IPCEndpoint(sockDir(t), "nobody")
	const linger = 500 * time.Millisecond
	t0 := time.Now()
	err := SendReady(context.Background(), ep, 1, linger)
	took := time.Since(t0)
	if err == nil {
		t.Fatal("SendReady succeeded with no PULL")
	}
	if took < linger-50*time.Millisecond || took > linger+time.Second { // generous: the machine is shared
		t.Errorf("SendReady returned after %v, linger %v", took, linger)
	}
	t.Logf("no PULL: %v after %v", err, took.Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	t0 = time.Now()
	err = SendReady(ctx, ep, 1, ReadyLinger)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > 2*time.Second { // far below ReadyLinger (5 s)
		t.Errorf("cancelled SendReady: %v after %v", err, time.Since(t0))
	}
	check()
}

// TestListenReadyFromLibzmqPush: the benchmark's side of readiness (our
// PULL) receives the id a libzmq PUSH sends, and the id our own SendReady
// sends.
func TestListenReadyFromLibzmqPush(t *testing.T) {
	ep := IPCEndpoint(sockDir(t), "svc_ready_feed0123")
	r, err := ListenReady(ep)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	push := startPy(t, "push.py", "--endpoint", ep, "--id", "1099511627776")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, err := r.Recv(ctx)
	if err != nil || id != 1<<40 {
		t.Fatalf("Recv = %d, %v; want 1<<40", id, err)
	}
	push.waitLine("SENT", 5*time.Second)

	go func() { _ = SendReady(context.Background(), ep, -3, ReadyLinger) }()
	if id, err := r.Recv(ctx); err != nil || id != -3 {
		t.Fatalf("Recv from SendReady = %d, %v; want -3", id, err)
	}
	short, cancelShort := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancelShort()
	if _, err := r.Recv(short); err == nil {
		t.Error("Recv with nobody sending returned no error")
	}
}
