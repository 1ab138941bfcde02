package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/vmihailenco/msgpack/v5"
)

// ReadyListener is the benchmark's side of the readiness signal: a PULL
// socket bound where the daemon's --readiness-path points, which receives
// the msgpack int id SendReady pushes. The demo launches the daemon
// through it, as the benchmark's ServiceLauncher does.
type ReadyListener struct {
	endpoint string
	ln       net.Listener
}

// ListenReady binds a PULL socket at endpoint (ipc://PATH or tcp://...),
// removing a stale ipc socket file first.
func ListenReady(endpoint string) (*ReadyListener, error) {
	network, addr, err := splitEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	if network == "unix" {
		if err := removeStaleSocket(addr); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, fmt.Errorf("transport: bind PULL %s: %w", endpoint, err)
	}
	return &ReadyListener{endpoint: endpoint, ln: ln}, nil
}

// Recv waits (bounded by ctx) for one readiness message and returns its id.
// A peer that connects and fails before sending is skipped.
func (r *ReadyListener) Recv(ctx context.Context) (int64, error) {
	stop := context.AfterFunc(ctx, func() { r.ln.Close() })
	defer stop()
	var last error
	for {
		nc, err := r.ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				err = context.Cause(ctx)
			}
			return 0, fmt.Errorf("transport: readiness on %s: %w (last peer: %v)", r.endpoint, err, last)
		}
		id, err := pullOne(ctx, nc)
		if err == nil {
			return id, nil
		}
		last = err
	}
}

// pullOne handshakes as PULL on nc and reads one message: a msgpack int.
func pullOne(ctx context.Context, nc net.Conn) (int64, error) {
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	if err := handshake(nc, zmq4.Pull, time.Now().Add(handshakeTimeout)); err != nil {
		return 0, err
	}
	fr := newFrameReader(nc)
	for {
		flags, size, err := fr.header()
		if err != nil {
			return 0, err
		}
		if size > 1<<10 {
			return 0, fmt.Errorf("readiness frame of %d bytes", size)
		}
		body := make([]byte, size)
		if err := fr.body(body); err != nil {
			return 0, err
		}
		if flags&flagCommand != 0 {
			continue // PING and friends
		}
		var id int64
		if err := msgpack.Unmarshal(body, &id); err != nil {
			return 0, fmt.Errorf("readiness id: %w", err)
		}
		return id, nil
	}
}

// Close unbinds the socket (and unlinks an ipc socket file).
func (r *ReadyListener) Close() error {
	if err := r.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("transport: close PULL %s: %w", r.endpoint, err)
	}
	return nil
}
