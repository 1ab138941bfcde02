package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/bits"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/mlperf-tools/aggregator/internal/ctxsleep"
)

const (
	// subQueueDepth is how many received frames may wait for Recv. It
	// decouples socket reads from decoding (two cores) and bounds memory to
	// about subQueueDepth upstream batches (~100 KB each); beyond it the
	// reader stops reading and back-pressure reaches the publisher, which
	// upstream configures with an unlimited SNDHWM, so nothing is lost.
	subQueueDepth = 64
	// freeListDepth bounds how many released buffers are kept for reuse.
	freeListDepth = subQueueDepth + 8
	// minBufCap is the smallest buffer allocated for a frame.
	minBufCap = 512

	dialBackoffMin = 10 * time.Millisecond
	dialBackoffMax = 200 * time.Millisecond
	// waitLogEvery rate-limits "still waiting for the publisher" logs.
	waitLogEvery = 10 * time.Second
)

// Subscriber is a ZeroMQ SUB socket connected to one publisher endpoint and
// subscribed to every topic.
//
// It tolerates the publisher not existing yet (it redials with back-off
// until closed, with no overall deadline, so start-up never fails because
// the benchmark binds late), and it survives publisher restarts: when the
// connection drops it redials the same endpoint and resubscribes. As with
// libzmq, messages published while no connection is established are lost
// (slow joiner). ZMTP PING commands are answered with PONG and never
// delivered; only data messages are.
//
// Multipart messages are joined into one frame (all parts concatenated in
// order, like zmq4.Msg.Bytes). Upstream always sends single-part messages
// (40-byte topic + payload), and joining also keeps a topic sent as a
// separate first part adjacent to its payload.
//
// Recv is safe for one consumer goroutine; Close and Stats may be called
// from any goroutine.
type Subscriber struct {
	endpoint string
	network  string
	addr     string
	log      *slog.Logger

	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{}

	frames    chan []byte
	free      chan []byte
	connected chan struct{}
	connOnce  sync.Once

	stats subStats
}

type subStats struct {
	frames, bytes, multipart         atomic.Uint64
	pings, commands                  atomic.Uint64
	connects, disconnects, dialFails atomic.Uint64
}

// SubscriberStats are cumulative counters of a Subscriber.
type SubscriberStats struct {
	Frames       uint64 // data messages delivered to the queue
	Bytes        uint64 // their total size
	Multipart    uint64 // messages that had more than one part (joined)
	Pings        uint64 // ZMTP PING commands answered (never delivered)
	Commands     uint64 // other ZMTP commands seen and dropped
	Connects     uint64 // successful connect+handshake+subscribe
	Disconnects  uint64 // established connections lost
	DialFailures uint64 // failed connection attempts
}

// NewSubscriber starts a SUB connecting to endpoint (ipc://PATH or
// tcp://HOST:PORT) in the background and returns at once; it never waits
// for the publisher. The subscriber runs until Close or until ctx is done.
// log may be nil.
func NewSubscriber(ctx context.Context, endpoint string, log *slog.Logger) (*Subscriber, error) {
	network, addr, err := splitEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sctx, cancel := context.WithCancelCause(ctx)
	s := &Subscriber{
		endpoint:  endpoint,
		network:   network,
		addr:      addr,
		log:       log.With("endpoint", endpoint, "socket", "SUB"),
		ctx:       sctx,
		cancel:    cancel,
		done:      make(chan struct{}),
		frames:    make(chan []byte, subQueueDepth),
		free:      make(chan []byte, freeListDepth),
		connected: make(chan struct{}),
	}
	go s.run()
	return s, nil
}

// Recv returns the next message (40-byte topic + payload, or the joined
// parts of a multipart message). It blocks until one is available and
// returns an error only when the subscriber was closed (ErrClosed) or its
// context is done (the context's cause).
//
// The caller owns the returned slice. Each frame is read straight from the
// socket into its own buffer (zmq4 itself allocates a fresh body per frame
// plus a Msg and a frames slice; this layer allocates nothing else per
// frame). A caller that is done with a frame may hand it back with Release
// so the next frame of similar size reuses it, making steady-state receive
// allocation-free.
func (s *Subscriber) Recv() ([]byte, error) {
	if err := s.ctx.Err(); err != nil {
		return nil, context.Cause(s.ctx)
	}
	select {
	case f := <-s.frames:
		return f, nil
	case <-s.ctx.Done():
		return nil, context.Cause(s.ctx)
	}
}

// Release returns a frame obtained from Recv for reuse. The caller must not
// touch the frame (or anything aliasing it) afterwards. Optional.
func (s *Subscriber) Release(frame []byte) {
	if cap(frame) < minBufCap {
		return
	}
	select {
	case s.free <- frame[:0]:
	default:
	}
}

// Connected is closed once the first connection to the publisher has been
// established and the subscription sent. The daemon can wait on it (with a
// timeout) before signalling readiness so that the publisher's first events
// are not lost to the ZeroMQ slow-joiner window.
func (s *Subscriber) Connected() <-chan struct{} { return s.connected }

// Stats returns a snapshot of the subscriber's counters.
func (s *Subscriber) Stats() SubscriberStats {
	st := &s.stats
	return SubscriberStats{
		Frames: st.frames.Load(), Bytes: st.bytes.Load(), Multipart: st.multipart.Load(),
		Pings: st.pings.Load(), Commands: st.commands.Load(),
		Connects: st.connects.Load(), Disconnects: st.disconnects.Load(), DialFailures: st.dialFails.Load(),
	}
}

// Close stops the subscriber, closes its connection and waits for its
// goroutine to exit. Recv then returns ErrClosed. Close is idempotent.
func (s *Subscriber) Close() error {
	s.cancel(ErrClosed)
	<-s.done
	return nil
}

// run is the connection loop: dial with back-off, handshake, subscribe,
// read until the connection drops, repeat until the context is done.
func (s *Subscriber) run() {
	defer close(s.done)
	backoff := dialBackoffMin
	var waitingSince, lastLog time.Time
	for s.ctx.Err() == nil {
		nc, err := s.connect()
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			s.stats.dialFails.Add(1)
			now := time.Now()
			switch {
			case waitingSince.IsZero():
				waitingSince, lastLog = now, now
				s.log.Info("publisher not reachable yet; retrying", "err", err)
			case now.Sub(lastLog) >= waitLogEvery:
				lastLog = now
				s.log.Warn("still waiting for publisher", "waited", now.Sub(waitingSince).Round(time.Second), "err", err)
			}
			if !ctxsleep.Sleep(s.ctx, backoff) {
				return
			}
			backoff = min(2*backoff, dialBackoffMax)
			continue
		}
		backoff, waitingSince = dialBackoffMin, time.Time{}
		s.stats.connects.Add(1)
		s.connOnce.Do(func() { close(s.connected) })
		s.log.Info("connected to publisher")

		err = s.serve(nc)
		if s.ctx.Err() != nil {
			return
		}
		s.stats.disconnects.Add(1)
		s.log.Warn("publisher connection lost; reconnecting", "err", err)
	}
}

// connect dials, handshakes and subscribes to everything.
func (s *Subscriber) connect() (net.Conn, error) {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(s.ctx, handshakeTimeout)
	defer cancel()
	nc, err := d.DialContext(dctx, s.network, s.addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", s.endpoint, err)
	}
	stop := context.AfterFunc(s.ctx, func() { nc.Close() })
	defer stop()
	if err := handshake(nc, zmq4.Sub, time.Now().Add(handshakeTimeout)); err != nil {
		nc.Close()
		return nil, fmt.Errorf("%s: %w", s.endpoint, err)
	}
	// ZMTP 3.0 subscription: a data frame 0x01 + topic prefix (empty = all).
	if err := writeFrame(nc, 0, []byte{1}); err != nil {
		nc.Close()
		return nil, fmt.Errorf("subscribe to %s: %w", s.endpoint, err)
	}
	return nc, nil
}

// serve reads messages from one established connection until it fails or
// the subscriber is closed. It always closes nc.
func (s *Subscriber) serve(nc net.Conn) error {
	stop := context.AfterFunc(s.ctx, func() { nc.Close() })
	defer func() {
		stop()
		nc.Close()
	}()
	fr := newFrameReader(nc)
	for {
		flags, size, err := fr.header()
		if err != nil {
			return err
		}
		if flags&flagCommand != 0 {
			if err := s.command(nc, fr, size); err != nil {
				return err
			}
			continue
		}
		buf := s.buffer(size)
		if err := fr.body(buf); err != nil {
			return err
		}
		if flags&flagMore != 0 {
			s.stats.multipart.Add(1)
			for flags&flagMore != 0 {
				if flags, size, err = fr.header(); err != nil {
					return noEOF(err)
				}
				if flags&flagCommand != 0 {
					return errors.New("transport: command frame inside a multipart message")
				}
				if len(buf)+size > maxFrameSize {
					return errFrameTooLarge
				}
				n := len(buf)
				buf = grow(buf, size)
				if err := fr.body(buf[n:]); err != nil {
					return err
				}
			}
		}
		s.stats.frames.Add(1)
		s.stats.bytes.Add(uint64(len(buf)))
		select {
		case s.frames <- buf:
		case <-s.ctx.Done():
			return s.ctx.Err()
		}
	}
}

// command handles a ZMTP command frame: PING is answered, the rest dropped.
// Only this goroutine writes to nc after the handshake, so the PONG cannot
// interleave with another write.
func (s *Subscriber) command(nc net.Conn, fr *frameReader, size int) error {
	body := make([]byte, size)
	if err := fr.body(body); err != nil {
		return err
	}
	name, data, err := parseCommand(body)
	if err != nil {
		return err
	}
	switch name {
	case zmq4.CmdPing:
		s.stats.pings.Add(1)
		if err := writeCommand(nc, zmq4.CmdPong, pingContext(data)); err != nil {
			return fmt.Errorf("send PONG: %w", err)
		}
	case zmq4.CmdError:
		return fmt.Errorf("peer sent ERROR: %q", data)
	default:
		s.stats.commands.Add(1)
		s.log.Debug("ignoring ZMTP command", "command", name)
	}
	return nil
}

// buffer returns a slice of length size, reusing a released buffer when one
// of sufficient capacity is available.
func (s *Subscriber) buffer(size int) []byte {
	for range 2 {
		select {
		case b := <-s.free:
			if cap(b) >= size {
				return b[:size]
			}
		default:
		}
	}
	c := max(size, minBufCap)
	if c < maxFrameSize {
		c = 1 << bits.Len(uint(c-1)) // next power of two: stabilises reuse
	}
	return make([]byte, size, c)
}

// grow extends b by n bytes, reallocating if needed.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n, 2*(len(b)+n))
	copy(nb, b)
	return nb
}

var _ io.Closer = (*Subscriber)(nil)
