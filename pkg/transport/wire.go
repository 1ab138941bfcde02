package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/security/null"
)

// ZMTP 3.x frame flags (https://rfc.zeromq.org/spec/23/).
const (
	flagMore    = 0x01
	flagLong    = 0x02
	flagCommand = 0x04
)

const (
	// handshakeTimeout bounds the greeting and NULL READY exchange so that a
	// peer that connects and says nothing cannot hold a goroutine forever.
	handshakeTimeout = 5 * time.Second
	// maxFrameSize rejects absurd frame lengths from a corrupt stream
	// instead of attempting the allocation. Upstream batches are ~100 KB.
	maxFrameSize = 1 << 30
	// readBufferSize is the bufio size for the frame reader: large enough
	// that small frames cost one read(2) per many frames; large frames
	// bypass it and are read straight into their destination.
	readBufferSize = 64 << 10
)

var errFrameTooLarge = errors.New("transport: frame exceeds size limit")

// handshake runs the ZMTP greeting and NULL-mechanism READY exchange on nc
// using zmq4.Open, which checks that the peer's socket type is compatible
// with typ. zmq4 reads exactly the handshake bytes (no read-ahead), so after
// it returns nc is positioned at the first traffic frame and can be framed
// directly. zmq4 greets as ZMTP 3.0, so libzmq 4.3 downgrades the session
// to 3.0: subscriptions travel as data frames prefixed 0x01/0x00, but
// libzmq still sends PING commands when ZMQ_HEARTBEAT_IVL is set.
func handshake(nc net.Conn, typ zmq4.SocketType, deadline time.Time) error {
	if err := nc.SetDeadline(deadline); err != nil {
		return fmt.Errorf("set handshake deadline: %w", err)
	}
	if _, err := zmq4.Open(nc, null.Security(), typ, nil, false, nil); err != nil {
		return fmt.Errorf("ZMTP handshake as %s: %w", typ, err)
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		return fmt.Errorf("clear handshake deadline: %w", err)
	}
	return nil
}

// frameReader decodes ZMTP frames from a buffered stream.
type frameReader struct {
	br  *bufio.Reader
	hdr [8]byte
}

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{br: bufio.NewReaderSize(r, readBufferSize)}
}

// header reads the next frame header and returns its flags and body size.
func (r *frameReader) header() (flags byte, size int, err error) {
	if _, err = io.ReadFull(r.br, r.hdr[:2]); err != nil {
		return 0, 0, err
	}
	flags = r.hdr[0]
	n := uint64(r.hdr[1])
	if flags&flagLong != 0 {
		r.hdr[0] = r.hdr[1]
		if _, err = io.ReadFull(r.br, r.hdr[1:8]); err != nil {
			return 0, 0, noEOF(err)
		}
		n = binary.BigEndian.Uint64(r.hdr[:])
	}
	if n > maxFrameSize {
		return 0, 0, fmt.Errorf("%w: %d bytes", errFrameTooLarge, n)
	}
	return flags, int(n), nil
}

// body reads exactly len(dst) body bytes into dst.
func (r *frameReader) body(dst []byte) error {
	_, err := io.ReadFull(r.br, dst)
	return noEOF(err)
}

// noEOF turns an EOF in the middle of a frame into ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// frameHeader encodes a ZMTP frame header for a body of size bytes into
// buf and returns the used prefix.
func frameHeader(buf *[9]byte, flags byte, size int) []byte {
	if size > 255 {
		buf[0] = flags | flagLong
		binary.BigEndian.PutUint64(buf[1:], uint64(size))
		return buf[:9]
	}
	buf[0] = flags
	buf[1] = byte(size)
	return buf[:2]
}

// writeFrame writes one frame (header and body in a single writev).
func writeFrame(w io.Writer, flags byte, body []byte) error {
	var hb [9]byte
	bufs := net.Buffers{frameHeader(&hb, flags, len(body)), body}
	_, err := bufs.WriteTo(w)
	return err
}

// writeCommand writes a ZMTP command frame: name length, name, data.
func writeCommand(w io.Writer, name string, data []byte) error {
	body := make([]byte, 0, 1+len(name)+len(data))
	body = append(body, byte(len(name)))
	body = append(body, name...)
	body = append(body, data...)
	return writeFrame(w, flagCommand, body)
}

// parseCommand splits a command frame body into name and data.
func parseCommand(body []byte) (name string, data []byte, err error) {
	if len(body) == 0 || int(body[0]) > len(body)-1 {
		return "", nil, fmt.Errorf("transport: malformed ZMTP command (%d bytes)", len(body))
	}
	n := int(body[0])
	return string(body[1 : 1+n]), body[1+n:], nil
}

// pingContext returns the context of a PING body (after the 2-byte TTL),
// which the PONG must echo.
func pingContext(data []byte) []byte {
	if len(data) < 2 {
		return nil
	}
	return data[2:]
}

// closeConn shuts a connection down so already-written bytes reach the
// peer: for TCP it half-closes first so unread inbound data cannot turn the
// close into a reset that discards our in-flight output.
func closeConn(nc net.Conn) error {
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	return nc.Close()
}
