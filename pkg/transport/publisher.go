package transport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"
)

// PeerHWM is the per-subscriber send queue depth, mirroring upstream's
// SNDHWM 4 on the snapshot PUB.
const PeerHWM = 4

// Publisher is a ZeroMQ PUB socket bound to one endpoint, for live
// snapshots. Publish never blocks on readers.
//
// Each connected subscriber has its own queue of PeerHWM frames and its own
// writer goroutine. When a reader is slow or stuck (not reading, SIGSTOPped)
// only its own writer blocks; its queue keeps the newest PeerHWM frames and
// the oldest are dropped and counted. This differs from libzmq, which drops
// the newest message at the HWM; for snapshots the newest state, and above
// all the final snapshot, is the one worth keeping. Other readers are not
// affected. As in libzmq, a subscriber only receives frames published after
// its subscription arrived, filtered by topic prefix.
type Publisher struct {
	endpoint string
	log      *slog.Logger
	ln       net.Listener

	mu      sync.Mutex
	closed  bool
	peers   []*peer
	pending map[net.Conn]struct{} // connections still handshaking
	nextID  uint64

	wg sync.WaitGroup // every goroutine the publisher started

	subscribed     chan struct{} // closed at the first subscription of any peer
	subscribedOnce sync.Once

	published atomic.Uint64
	dropped   atomic.Uint64
}

// PublisherStats are the counters of a Publisher.
type PublisherStats struct {
	Published uint64      // Publish calls accepted (before Close)
	Dropped   uint64      // frames dropped on full peer queues, all peers ever
	Peers     []PeerStats // currently connected peers
}

// PeerStats describe one connected subscriber.
type PeerStats struct {
	ID            uint64
	Subscriptions int    // distinct topic prefixes subscribed ("" = all)
	Queued        int    // frames waiting in its queue
	Sent          uint64 // frames fully written to its socket
	Dropped       uint64 // frames dropped because its queue was full
}

// NewPublisher binds a PUB at endpoint (ipc://PATH or tcp://HOST:PORT). For
// ipc it first removes a stale socket file left by a previous run (as
// libzmq does); a path that exists and is not a socket is an error. The
// socket file is unlinked again on Close. log may be nil.
func NewPublisher(endpoint string, log *slog.Logger) (*Publisher, error) {
	network, addr, err := splitEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if network == "unix" {
		if err := removeStaleSocket(addr); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, fmt.Errorf("transport: bind PUB %s: %w", endpoint, err)
	}
	p := &Publisher{
		endpoint:   endpoint,
		log:        log.With("endpoint", endpoint, "socket", "PUB"),
		ln:         ln,
		pending:    make(map[net.Conn]struct{}),
		subscribed: make(chan struct{}),
	}
	p.wg.Add(1)
	go p.accept()
	p.log.Info("publisher bound")
	return p, nil
}

// removeStaleSocket removes path if it is a unix socket file.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("transport: stat %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("transport: %s exists and is not a socket", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("transport: remove stale socket %s: %w", path, err)
	}
	return nil
}

// Endpoint returns the endpoint the publisher is bound to; for tcp://:0 it
// carries the chosen port.
func (p *Publisher) Endpoint() string {
	if a, ok := p.ln.Addr().(*net.TCPAddr); ok {
		return fmt.Sprintf("tcp://%s", a)
	}
	return p.endpoint
}

// Publish queues frame for every subscribed peer and returns at once; it
// never blocks on a reader. A peer whose queue is full loses its oldest
// queued frame. The frame is shared by all peers' queues without copying:
// the caller must not modify it after the call. Publish after Close is a
// no-op.
func (p *Publisher) Publish(frame []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.published.Add(1)
	for _, pr := range p.peers {
		if pr.enqueue(frame) {
			p.dropped.Add(1)
		}
	}
}

// Send queues frame for every subscribed peer like Publish, but never
// drops a frame: while a subscribed peer's queue is full it waits (bounded
// by ctx) for that peer to take one. It is for lossless streams, such as
// the demo's load generator publishing events; snapshots use Publish,
// which never waits for a reader. Frames reach only peers subscribed when
// Send is called (see WaitSubscribed).
func (p *Publisher) Send(ctx context.Context, frame []byte) error {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return ErrClosed
		}
		var full *peer
		for _, pr := range p.peers {
			if pr.full(frame) {
				full = pr
				break
			}
		}
		if full == nil {
			p.published.Add(1)
			for _, pr := range p.peers {
				pr.enqueue(frame)
			}
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		select {
		case <-full.space:
		case <-full.writerDone: // the peer is gone
		case <-ctx.Done():
			return fmt.Errorf("transport: send on %s: %w", p.endpoint, context.Cause(ctx))
		}
	}
}

// WaitSubscribed waits until some peer has subscribed (or ctx ends):
// frames published before that reach nobody, as with any PUB socket.
func (p *Publisher) WaitSubscribed(ctx context.Context) error {
	select {
	case <-p.subscribed:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("transport: no subscriber on %s: %w", p.endpoint, context.Cause(ctx))
	}
}

// Stats returns the publisher's counters and per-peer state.
func (p *Publisher) Stats() PublisherStats {
	p.mu.Lock()
	peers := append([]*peer(nil), p.peers...)
	p.mu.Unlock()
	st := PublisherStats{Published: p.published.Load(), Dropped: p.dropped.Load()}
	for _, pr := range peers {
		st.Peers = append(st.Peers, pr.stats())
	}
	return st
}

// Close stops accepting, gives every peer up to linger to receive what is
// queued for it (so the final snapshot reaches live readers), then closes
// all connections, unlinks the ipc socket file and waits for every
// goroutine it started. A stuck peer costs at most linger. Idempotent.
func (p *Publisher) Close(linger time.Duration) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	peers := append([]*peer(nil), p.peers...)
	for nc := range p.pending {
		nc.Close()
	}
	p.mu.Unlock()

	// Closing a *net.UnixListener created by Listen unlinks the socket file.
	err := p.ln.Close()
	if err != nil {
		err = fmt.Errorf("transport: close PUB %s: %w", p.endpoint, err)
	}

	deadline := time.Now().Add(max(linger, 0))
	for _, pr := range peers {
		_ = pr.nc.SetWriteDeadline(deadline)
		pr.finish()
	}
	for _, pr := range peers {
		<-pr.writerDone
	}
	for _, pr := range peers {
		_ = closeConn(pr.nc)
	}
	p.wg.Wait()
	return err
}

// accept admits connections until the listener is closed.
func (p *Publisher) accept() {
	defer p.wg.Done()
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			p.log.Warn("accept failed", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			nc.Close()
			return
		}
		p.pending[nc] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.admit(nc)
	}
}

// admit handshakes a new connection and, on success, starts its peer.
func (p *Publisher) admit(nc net.Conn) {
	defer p.wg.Done()
	err := handshake(nc, zmq4.Pub, time.Now().Add(handshakeTimeout))
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.pending, nc)
	if err != nil || p.closed {
		nc.Close()
		if err != nil {
			p.log.Warn("subscriber handshake failed", "err", err)
		}
		return
	}
	p.nextID++
	pr := newPeer(p.nextID, nc)
	pr.onSubscribe = func() { p.subscribedOnce.Do(func() { close(p.subscribed) }) }
	p.peers = append(p.peers, pr)
	p.wg.Add(2)
	go func() { defer p.wg.Done(); pr.write() }()
	go func() { defer p.wg.Done(); p.read(pr) }()
	p.log.Debug("subscriber connected", "peer", pr.id)
}

// read consumes what a peer sends (subscriptions, PINGs) until its
// connection fails, then removes the peer.
func (p *Publisher) read(pr *peer) {
	err := pr.read()
	p.mu.Lock()
	for i, q := range p.peers {
		if q == pr {
			p.peers = append(p.peers[:i], p.peers[i+1:]...)
			break
		}
	}
	closed := p.closed
	p.mu.Unlock()
	if !closed {
		p.log.Debug("subscriber gone", "peer", pr.id, "err", err)
		pr.finish()
		pr.nc.Close()
	}
}

// peer is one connected subscriber: its subscriptions, its bounded queue
// and the state shared by its reader and writer goroutines.
type peer struct {
	id         uint64
	nc         net.Conn
	wake       chan struct{} // capacity 1: work may be pending
	space      chan struct{} // capacity 1: the writer took a frame (Send waits on it)
	writerDone chan struct{}
	// onSubscribe runs (on the reader goroutine) at every subscription.
	onSubscribe func()

	mu        sync.Mutex
	subs      map[string]int // topic prefix -> subscription count
	q         [PeerHWM][]byte
	head, n   int
	pong      []byte // pending PONG context
	pongDue   bool
	finishing bool // drain the queue, then exit

	sent, dropped atomic.Uint64
}

func newPeer(id uint64, nc net.Conn) *peer {
	return &peer{
		id:         id,
		nc:         nc,
		wake:       make(chan struct{}, 1),
		space:      make(chan struct{}, 1),
		writerDone: make(chan struct{}),
		subs:       make(map[string]int),
	}
}

func (pr *peer) signal() {
	select {
	case pr.wake <- struct{}{}:
	default:
	}
}

// enqueue adds frame if the peer subscribed to it, dropping the oldest
// queued frame when full; it reports whether a frame was dropped.
func (pr *peer) enqueue(frame []byte) (dropped bool) {
	pr.mu.Lock()
	if pr.finishing || !pr.matches(frame) {
		pr.mu.Unlock()
		return false
	}
	if pr.n == PeerHWM {
		pr.q[pr.head] = nil
		pr.head = (pr.head + 1) % PeerHWM
		pr.n--
		dropped = true
	}
	pr.q[(pr.head+pr.n)%PeerHWM] = frame
	pr.n++
	pr.mu.Unlock()
	if dropped {
		pr.dropped.Add(1)
	}
	pr.signal()
	return dropped
}

// full reports whether frame would overflow the peer's queue.
func (pr *peer) full(frame []byte) bool {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return !pr.finishing && pr.n == PeerHWM && pr.matches(frame)
}

// matches reports whether any subscription is a prefix of frame; pr.mu held.
func (pr *peer) matches(frame []byte) bool {
	for t := range pr.subs {
		if len(frame) >= len(t) && string(frame[:len(t)]) == t {
			return true
		}
	}
	return false
}

// finish asks the writer to flush what is queued and exit.
func (pr *peer) finish() {
	pr.mu.Lock()
	pr.finishing = true
	pr.mu.Unlock()
	pr.signal()
}

// write is the peer's writer goroutine: it owns all writes to nc after the
// handshake (frames and PONGs), so one stuck peer blocks only this
// goroutine. A write error closes the connection, which ends the reader.
func (pr *peer) write() {
	defer close(pr.writerDone)
	for range pr.wake {
		for {
			pr.mu.Lock()
			pong, pongDue := pr.pong, pr.pongDue
			pr.pong, pr.pongDue = nil, false
			var frame []byte
			if pr.n > 0 {
				frame = pr.q[pr.head]
				pr.q[pr.head] = nil
				pr.head = (pr.head + 1) % PeerHWM
				pr.n--
			}
			finishing := pr.finishing
			pr.mu.Unlock()
			if frame != nil {
				select {
				case pr.space <- struct{}{}:
				default:
				}
			}

			if pongDue {
				if err := writeCommand(pr.nc, zmq4.CmdPong, pong); err != nil {
					pr.nc.Close()
					return
				}
			}
			if frame == nil {
				if finishing {
					return
				}
				break
			}
			if err := writeFrame(pr.nc, 0, frame); err != nil {
				pr.nc.Close()
				return
			}
			pr.sent.Add(1)
		}
	}
}

// read handles the peer's inbound traffic until the connection fails.
func (pr *peer) read() error {
	fr := newFrameReader(pr.nc)
	buf := make([]byte, 0, 256)
	for {
		flags, size, err := fr.header()
		if err != nil {
			return err
		}
		if cap(buf) < size {
			buf = make([]byte, size)
		}
		body := buf[:size]
		if err := fr.body(body); err != nil {
			return err
		}
		switch {
		case flags&flagCommand != 0:
			name, data, err := parseCommand(body)
			if err != nil {
				return err
			}
			switch name {
			case zmq4.CmdSubscribe: // ZMTP 3.1
				pr.subscribe(data, true)
			case zmq4.CmdCancel:
				pr.subscribe(data, false)
			case zmq4.CmdPing:
				pr.mu.Lock()
				pr.pong, pr.pongDue = append([]byte(nil), pingContext(data)...), true
				pr.mu.Unlock()
				pr.signal()
			case zmq4.CmdError:
				return fmt.Errorf("peer sent ERROR: %q", data)
			}
		case flags&flagMore == 0 && len(body) > 0 && body[0] <= 1: // ZMTP 3.0
			pr.subscribe(body[1:], body[0] == 1)
		}
	}
}

func (pr *peer) subscribe(topic []byte, on bool) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	t := string(topic)
	if on {
		pr.subs[t]++
		if pr.onSubscribe != nil {
			pr.onSubscribe()
		}
		return
	}
	if pr.subs[t] <= 1 {
		delete(pr.subs, t)
	} else {
		pr.subs[t]--
	}
}

func (pr *peer) stats() PeerStats {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return PeerStats{
		ID: pr.id, Subscriptions: len(pr.subs), Queued: pr.n,
		Sent: pr.sent.Load(), Dropped: pr.dropped.Load(),
	}
}
