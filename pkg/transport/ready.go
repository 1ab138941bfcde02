package transport

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/mlperf-tools/aggregator/internal/ctxsleep"
	"github.com/vmihailenco/msgpack/v5"
)

// ReadyLinger is upstream's LINGER for the readiness PUSH socket.
const ReadyLinger = 5 * time.Second

// SendReady tells the benchmark that the daemon is up: it PUSH-connects to
// endpoint (the benchmark's PULL, ipc://DIR/--readiness-path), sends id
// msgpack-encoded as a single-frame message and closes, like upstream's
// send_ready_signal. The whole operation, including waiting for the PULL
// to exist, is bounded by linger (upstream: LINGER 5 s) and by ctx; when
// nothing accepts the message in time it returns an error. Once written,
// the message stays in the kernel socket buffer and the PULL reads it
// even after we close.
func SendReady(ctx context.Context, endpoint string, id int64, linger time.Duration) error {
	network, addr, err := splitEndpoint(endpoint)
	if err != nil {
		return err
	}
	payload, err := msgpack.Marshal(id)
	if err != nil {
		return fmt.Errorf("transport: encode readiness id %d: %w", id, err)
	}
	deadline := time.Now().Add(linger)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	var d net.Dialer
	backoff := dialBackoffMin
	for {
		nc, err := d.DialContext(ctx, network, addr)
		if err == nil {
			err = pushOne(ctx, nc, payload, deadline)
			if err == nil {
				return nil
			}
		}
		if !ctxsleep.Sleep(ctx, backoff) {
			return fmt.Errorf("transport: readiness signal to %s not delivered (linger %s): %w (last attempt: %w)",
				endpoint, linger, context.Cause(ctx), err)
		}
		backoff = min(2*backoff, dialBackoffMax)
	}
}

// pushOne handshakes as PUSH on nc, writes payload as one frame and closes.
func pushOne(ctx context.Context, nc net.Conn, payload []byte, deadline time.Time) error {
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	if err := handshake(nc, zmq4.Push, deadline); err != nil {
		nc.Close()
		return err
	}
	if err := nc.SetWriteDeadline(deadline); err != nil {
		nc.Close()
		return err
	}
	if err := writeFrame(nc, 0, payload); err != nil {
		nc.Close()
		return fmt.Errorf("send readiness frame: %w", err)
	}
	return closeConn(nc)
}
