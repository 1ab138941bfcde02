// Package transport is the ZeroMQ layer of the aggregator daemon: a SUB that
// receives event frames from the benchmark's PUB, a PUB that serves live
// snapshots, and the PUSH readiness signal.
//
// It speaks ZMTP 3.0 with the NULL mechanism and interoperates with libzmq
// peers (the benchmark uses pyzmq/libzmq 4.3). The greeting and NULL
// handshake come from github.com/go-zeromq/zmq4 (zmq4.Open); framing,
// reconnection, subscription handling, heartbeats and per-peer queueing are
// done here because zmq4's socket types cannot provide what the daemon needs:
//
//   - zmq4's Dial gives up after ~2.5 s and its SUB dies on the first EOF
//     (automatic reconnect redials the last endpoint dialled, not the lost
//     one), so the Subscriber owns its connection and redials with back-off
//     until it is closed.
//   - zmq4's PUB writes to every peer from one goroutine with blocking writes
//     behind one shared high-water-mark queue, so one stuck reader throttles
//     every reader; its Close also leaks that writer goroutine
//     (pubMWriter.run parked in sync.Cond.Wait, never signalled because
//     socket.Close does not close the writer pool). The Publisher instead
//     keeps one bounded queue and one writer goroutine per peer.
//   - zmq4's SUB hands ZMTP PING commands to the application and never
//     answers them, so a libzmq publisher with ZMQ_HEARTBEAT_TIMEOUT drops
//     it. Here PINGs are answered with PONG and never reach Recv.
package transport

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// ErrClosed is returned by operations on a Subscriber or Publisher after
// Close.
var ErrClosed = errors.New("transport: closed")

// IPCEndpoint returns the ZeroMQ address of the IPC socket NAME in DIR, the
// form the benchmark passes as --socket-dir/--socket-name.
func IPCEndpoint(dir, name string) string {
	return "ipc://" + filepath.Join(dir, name)
}

// splitEndpoint maps a ZeroMQ endpoint to a Go network and address.
// Only ipc:// (unix stream socket) and tcp:// are supported; a tcp host of
// "*" means all interfaces, as in libzmq.
func splitEndpoint(endpoint string) (network, addr string, err error) {
	scheme, rest, ok := strings.Cut(endpoint, "://")
	if !ok || rest == "" {
		return "", "", fmt.Errorf("transport: invalid endpoint %q (want ipc://PATH or tcp://HOST:PORT)", endpoint)
	}
	switch scheme {
	case "ipc":
		return "unix", rest, nil
	case "tcp":
		if strings.HasPrefix(rest, "*:") {
			rest = rest[1:]
		}
		return "tcp", rest, nil
	default:
		return "", "", fmt.Errorf("transport: unsupported scheme %q in endpoint %q", scheme, endpoint)
	}
}
