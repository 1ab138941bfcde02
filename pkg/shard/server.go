package shard

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// ItemCounter counts the tokens of one text. It need not be safe for
// concurrent use: Serve gives each goroutine its own
// (*tokenize.Counter satisfies it).
type ItemCounter interface {
	CountErr(text string) (int, error)
}

// ServeConfig configures Serve.
type ServeConfig struct {
	Hello      Hello              // announced first (Version defaults to the package's)
	NewCounter func() ItemCounter // one per counting goroutine
	Procs      int                // counting goroutines per batch (≤ 0: 1)
	Log        *slog.Logger       // nil: discard
}

// Serve is the worker side of the protocol: it sends the hello frame to
// out, then answers the frames read from in until a shutdown frame or the
// end of in, and returns nil then. It returns an error when a frame cannot
// be read (truncated, too large) or an answer cannot be written; the
// worker should then exit non-zero.
//
// A count batch is spread over up to Procs goroutines, each with its own
// counter, claiming the next item in turn (an atomic cursor), so a long
// text does not leave the other goroutines idle behind a static split;
// results are written by index, so they stay in order. A counter that
// fails or panics on an item fails only that item (count -1 and the
// message); a counter that panicked is replaced.
func Serve(in io.Reader, out io.Writer, cfg ServeConfig) error {
	if cfg.NewCounter == nil {
		return errors.New("shard: ServeConfig.NewCounter is nil")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &server{out: out, log: log, counters: newCounterSet(cfg.NewCounter, max(cfg.Procs, 1))}
	h := cfg.Hello
	if h.Version == 0 {
		h.Version = Version
	}
	if err := s.send(&Frame{Type: TypeHello, V: h.Version, PID: h.PID, Tokenizer: h.Tokenizer, Procs: h.Procs, CPUs: h.CPUs}); err != nil {
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
			if f.Texts == nil {
				err = s.send(&Frame{Type: TypeError, ID: f.ID, Error: `count frame without "texts"`})
				break
			}
			err = s.count(f)
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
	counts := make([]int, len(f.Texts))
	errs := make([]string, len(f.Texts))
	t0 := time.Now()
	nerr := s.counters.count(f.Texts, counts, errs)
	if nerr > 0 {
		s.log.Warn("items failed", "id", f.ID, "failed", nerr, "of", len(f.Texts))
	}
	s.log.Debug("batch", "id", f.ID, "items", len(f.Texts), "count_us", time.Since(t0).Microseconds())
	return s.send(&Frame{Type: TypeCounts, ID: f.ID, Counts: counts, Errors: errs})
}

// counterSet is the per-goroutine counters of a worker; they persist
// across batches so their word caches stay warm.
type counterSet struct {
	newCounter func() ItemCounter
	counters   []ItemCounter
}

func newCounterSet(newCounter func() ItemCounter, n int) *counterSet {
	cs := &counterSet{newCounter: newCounter, counters: make([]ItemCounter, n)}
	for i := range cs.counters {
		cs.counters[i] = newCounter()
	}
	return cs
}

// count fills counts and errs for texts and returns the number of failed
// items.
func (cs *counterSet) count(texts []string, counts []int, errs []string) int {
	g := min(len(cs.counters), len(texts))
	var next, failed atomic.Int64
	work := func(slot int) {
		for {
			i := int(next.Add(1) - 1)
			if i >= len(texts) {
				return
			}
			n, err := cs.one(slot, texts[i])
			if err != nil {
				counts[i], errs[i] = -1, err.Error()
				if errs[i] == "" {
					errs[i] = "error"
				}
				failed.Add(1)
				continue
			}
			counts[i] = n
		}
	}
	if g <= 1 {
		if g == 1 {
			work(0)
		}
		return int(failed.Load())
	}
	var wg sync.WaitGroup
	for slot := 1; slot < g; slot++ {
		wg.Go(func() { work(slot) })
	}
	work(0)
	wg.Wait()
	return int(failed.Load())
}

// one counts text with the counter of slot, turning a panic into an item
// error and replacing that counter (its state is unknown after a panic).
func (cs *counterSet) one(slot int, text string) (n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			cs.counters[slot] = cs.newCounter()
			n, err = -1, fmt.Errorf("tokenizer panic: %v", p)
		}
	}()
	return cs.counters[slot].CountErr(text)
}
