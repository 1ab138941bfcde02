package shard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// ItemCounter counts one item: a text, or a chat item (a msgpack payload)
// rendered through the chat template. It need not be safe for concurrent
// use: Serve gives each goroutine its own (*chattmpl.Counter satisfies
// it). An error fails the item; Outcome.Fallback is not an error.
type ItemCounter interface {
	CountItem(k tokwork.Kind, payload string) tokwork.Result
}

// ServeConfig configures Serve.
type ServeConfig struct {
	Hello Hello // announced first (Version defaults to the package's)
	// NewCounter makes the counter of a goroutine, and replaces one that
	// panicked (under the watchdog: it may render a baseline).
	NewCounter func() ItemCounter
	// Counters are the goroutines' initial counters, if made beforehand
	// (the worker makes them before its hello, which reports their
	// chat-template baseline); missing ones are made with NewCounter.
	Counters []ItemCounter
	Procs    int       // counting goroutines per batch (≤ 0: 1)
	Watchdog *Watchdog // bounds chat-item renders; nil: no limits
	Log      *slog.Logger
}

// Serve is the worker side of the protocol: it sends the hello frame to
// out, then answers the frames read from in until a shutdown frame or the
// end of in, and returns nil then. It returns an error when a frame cannot
// be read (truncated, too large) or an answer cannot be written; the
// worker should then exit non-zero.
//
// A count batch is spread over up to Procs goroutines, each with its own
// counter, claiming the next item in turn (an atomic cursor), so a long
// item does not leave the other goroutines idle behind a static split;
// results are written by index, so they stay in order. A counter that
// fails or panics on an item fails only that item (count -1 and the
// message); a counter that panicked is replaced. Each chat item (kind
// other than text) is counted under cfg.Watchdog, which ends the process
// when a render exceeds its limits.
func Serve(in io.Reader, out io.Writer, cfg ServeConfig) error {
	if cfg.NewCounter == nil {
		return errors.New("shard: ServeConfig.NewCounter is nil")
	}
	if cfg.Watchdog != nil && len(cfg.Watchdog.slots) < max(cfg.Procs, 1) {
		return fmt.Errorf("shard: the watchdog has %d slots for %d counting goroutines", len(cfg.Watchdog.slots), max(cfg.Procs, 1))
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &server{out: out, log: log, counters: newCounterSet(cfg.NewCounter, max(cfg.Procs, 1), cfg.Counters, cfg.Watchdog)}
	h := cfg.Hello
	if h.Version == 0 {
		h.Version = Version
	}
	if err := s.send(&Frame{Type: TypeHello, V: h.Version, PID: h.PID, Tokenizer: h.Tokenizer, Procs: h.Procs, CPUs: h.CPUs, Chat: h.Chat}); err != nil {
		return err
	}
	r := NewReader(in)
	for {
		payload, err := r.ReadPayload()
		if err == io.EOF {
			log.Debug("stdin closed; exiting")
			return nil
		}
		if err != nil {
			return fmt.Errorf("shard: reading a request: %w", err)
		}
		f, err := DecodeFrame(payload)
		if err != nil {
			log.Warn("malformed frame", "err", err)
			if err := s.send(&Frame{Type: TypeError, Error: err.Error()}); err != nil {
				return err
			}
			continue
		}
		switch f.Type {
		case TypeShutdown:
			log.Debug("shutdown requested")
			return nil
		case TypeCount:
			switch {
			case f.Texts == nil:
				err = s.send(&Frame{Type: TypeError, ID: f.ID, Error: `count frame without "texts"`})
			case f.Kinds != nil && len(f.Kinds) != len(f.Texts):
				log.Warn("count frame with kinds of the wrong length", "id", f.ID, "kinds", len(f.Kinds), "texts", len(f.Texts))
				err = s.send(&Frame{Type: TypeError, ID: f.ID, Error: fmt.Sprintf("count frame with %d kinds for %d texts", len(f.Kinds), len(f.Texts))})
			default:
				err = s.count(f)
			}
		default:
			log.Warn("unknown frame type", "type", f.Type, "id", f.ID)
			err = s.send(&Frame{Type: TypeError, ID: f.ID, Error: fmt.Sprintf("unknown frame type %q", f.Type)})
		}
		if err != nil {
			return err
		}
	}
}

type server struct {
	out      io.Writer
	log      *slog.Logger
	buf      []byte
	counters *counterSet
}

// send writes f as one Write call.
func (s *server) send(f *Frame) error {
	var err error
	s.buf, err = AppendFrame(s.buf[:0], f)
	if err != nil {
		return err
	}
	if _, err := s.out.Write(s.buf); err != nil {
		return fmt.Errorf("shard: writing a %q frame: %w", f.Type, err)
	}
	if cap(s.buf) > 1<<20 {
		s.buf = nil // do not pin a huge answer buffer
	}
	return nil
}

func (s *server) count(f *Frame) error {
	n := len(f.Texts)
	b := batch{id: f.ID, items: f.Texts, kinds: f.Kinds, counts: make([]int, n), errs: make([]string, n)}
	if f.Kinds != nil {
		b.rendered, b.fallbacks = make([]bool, n), make([]string, n)
	}
	t0 := time.Now()
	s.counters.count(&b)
	if nerr := b.failed.Load(); nerr > 0 {
		s.log.Warn("items failed", "id", f.ID, "failed", nerr, "of", n)
	}
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		attrs := []any{"id", f.ID, "items", n, "count_us", time.Since(t0).Microseconds()}
		if f.Kinds != nil {
			chat, fb := 0, 0
			for i, k := range f.Kinds {
				if k != tokwork.Text {
					chat++
				}
				if b.fallbacks[i] != "" {
					fb++
				}
			}
			attrs = append(attrs, "chat", chat, "fallbacks", fb)
		}
		s.log.Debug("batch", attrs...)
	}
	return s.send(&Frame{Type: TypeCounts, ID: f.ID, Counts: b.counts, Errors: b.errs, Rendered: b.rendered, Fallbacks: b.fallbacks})
}

// batch is one count request being counted and its results.
type batch struct {
	id        uint64
	items     []string
	kinds     []tokwork.Kind // nil: all texts
	counts    []int
	errs      []string
	rendered  []bool   // nil when kinds is
	fallbacks []string // nil when kinds is
	next      atomic.Int64
	failed    atomic.Int64
}

// counterSet is the per-goroutine counters of a worker; they persist
// across batches so their word caches stay warm.
type counterSet struct {
	newCounter func() ItemCounter
	counters   []ItemCounter
	wd         *Watchdog
}

func newCounterSet(newCounter func() ItemCounter, n int, initial []ItemCounter, wd *Watchdog) *counterSet {
	cs := &counterSet{newCounter: newCounter, counters: make([]ItemCounter, n), wd: wd}
	for i := range cs.counters {
		if i < len(initial) && initial[i] != nil {
			cs.counters[i] = initial[i]
			continue
		}
		wd.Begin(i, 0, ItemBaseline, tokwork.Text)
		cs.counters[i] = newCounter()
		wd.End(i)
	}
	return cs
}

// count counts the items of b.
func (cs *counterSet) count(b *batch) {
	g := min(len(cs.counters), len(b.items))
	if g <= 1 {
		if g == 1 {
			cs.work(b, 0)
		}
		return
	}
	var wg sync.WaitGroup
	for slot := 1; slot < g; slot++ {
		wg.Go(func() { cs.work(b, slot) })
	}
	cs.work(b, 0)
	wg.Wait()
}

// work claims items of b in turn and counts them with the counter of slot.
func (cs *counterSet) work(b *batch, slot int) {
	for {
		i := int(b.next.Add(1) - 1)
		if i >= len(b.items) {
			return
		}
		k := tokwork.Text
		if b.kinds != nil {
			k = b.kinds[i]
		}
		r := cs.one(b.id, slot, i, k, b.items[i])
		if r.Err != "" {
			b.counts[i], b.errs[i] = -1, r.Err
			b.failed.Add(1)
			continue
		}
		b.counts[i] = r.Count
		if b.rendered != nil {
			b.rendered[i], b.fallbacks[i] = r.Rendered, r.Fallback
		}
	}
}

// one counts item i of batch id with the counter of slot, a chat item
// under the watchdog. A panic becomes an item error and the counter is
// replaced (its state is unknown after a panic); the replacement renders
// its baseline under the watchdog too.
func (cs *counterSet) one(id uint64, slot, i int, k tokwork.Kind, payload string) (r tokwork.Result) {
	watched := k != tokwork.Text
	if watched {
		cs.wd.Begin(slot, id, i, k)
	}
	defer func() {
		if p := recover(); p != nil {
			if !watched {
				cs.wd.Begin(slot, id, ItemBaseline, tokwork.Text)
				watched = true
			}
			cs.counters[slot] = cs.newCounter()
			what := "tokenizer panic"
			if k != tokwork.Text {
				what = fmt.Sprintf("panic counting a %s item", k)
			}
			r = tokwork.Result{Count: -1, Err: fmt.Sprintf("%s: %v", what, p)}
		}
		if watched {
			cs.wd.End(slot)
		}
	}()
	return cs.counters[slot].CountItem(k, payload)
}
