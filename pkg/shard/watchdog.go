package shard

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// ExitRenderLimit is the exit status of a worker whose chat-template
// render exceeded its time or memory limit.
const ExitRenderLimit = 3

// Defaults of the worker's render limits (--render-timeout,
// --render-memory).
const (
	DefaultRenderTimeout = 10 * time.Second
	DefaultRenderMemory  = 2 << 30
)

// watchdogTick is how often the watchdog looks while renders run.
const watchdogTick = 5 * time.Millisecond

// Limits bound the chat-template renders of a worker.
type Limits struct {
	// Timeout is the wall-clock time one chat item (render and count) may
	// take.
	Timeout time.Duration
	// Memory is how far the worker process's memory may grow above its
	// level after start-up while renders run, in bytes.
	Memory int64
}

// Watchdog enforces Limits on the renders of a worker process. The Go
// Jinja engine bounds nothing and a render cannot be interrupted, so the
// only remedy is ending the process: the worker logs one ERROR line
// naming the reason and exits with status ExitRenderLimit, without
// answering; the daemon restarts it and finds the culprit.
//
// Each counting goroutine owns a slot and publishes (atomically) the start
// of the chat item it renders, with Begin and End. A goroutine ticks every
// 5 ms, only while at least one slot is busy, and ends the process when
// an item has run longer than Limits.Timeout or when the process's memory
// (runtime/metrics: /memory/classes/total:bytes minus
// /memory/classes/heap/released:bytes, which counts the heap, goroutine
// stacks and runtime metadata, as the Go memory limit does) exceeds the
// level measured by NewWatchdog plus Limits.Memory.
//
// Memory cannot be attributed to a goroutine in Go: the memory limit is a
// limit on the whole worker process, checked only while renders run; it
// is a per-render limit only when one item is rendered at a time (a
// one-item request, as the daemon sends when it retries items one by one).
// The reason names every item being rendered at that moment.
type Watchdog struct {
	limits Limits
	base   uint64 // process memory when the watchdog was made
	epoch  time.Time
	slots  []wdSlot
	active atomic.Int64 // busy slots
	wake   chan struct{}
	done   chan struct{}
	exit   func(reason string)
	sample []metrics.Sample
}

// wdSlot is what one counting goroutine is rendering.
type wdSlot struct {
	start atomic.Int64  // ns since epoch + 1; 0 = not rendering
	batch atomic.Uint64 // request id (0 at start-up)
	item  atomic.Int64  // index in the batch; < 0: a counter's baseline render
	kind  atomic.Uint32
	_     [36]byte // one cache line per slot
}

// NewWatchdog measures the process's memory now (call it once start-up
// allocations are done, before the counters render their baselines), sets
// the Go soft memory limit to that level plus limits.Memory (so the
// garbage collector works harder before the watchdog fires, and garbage
// alone does not trigger it), and starts the watchdog with one slot per
// counting goroutine. On a limit it logs the reason as an ERROR on log
// and exits the process with status ExitRenderLimit.
func NewWatchdog(limits Limits, slots int, log *slog.Logger) (*Watchdog, error) {
	if limits.Timeout <= 0 || limits.Memory <= 0 {
		return nil, fmt.Errorf("shard: render limits must be positive (timeout %v, memory %d)", limits.Timeout, limits.Memory)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := newWatchdog(limits, slots, func(reason string) {
		log.Error(reason)
		os.Exit(ExitRenderLimit)
	})
	if lim := satAdd(w.base, uint64(limits.Memory)); lim < math.MaxInt64 {
		if cur := debug.SetMemoryLimit(-1); int64(lim) < cur {
			debug.SetMemoryLimit(int64(lim))
		}
	}
	go w.run()
	return w, nil
}

// newWatchdog makes a watchdog without starting it or touching the GC.
func newWatchdog(limits Limits, slots int, exit func(string)) *Watchdog {
	w := &Watchdog{
		limits: limits,
		epoch:  time.Now(),
		slots:  make([]wdSlot, max(slots, 1)),
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		exit:   exit,
		sample: []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}},
	}
	w.base = w.memory()
	return w
}

// ItemBaseline is the item index Begin takes for a counter's baseline
// renders (chattmpl.NewCounter), at start-up or when a counter is replaced.
const ItemBaseline = -1

// Begin marks slot as rendering item (ItemBaseline for a counter's
// baseline renders) of kind in batch; End ends it. A nil Watchdog does
// nothing.
func (w *Watchdog) Begin(slot int, batch uint64, item int, kind tokwork.Kind) {
	if w == nil {
		return
	}
	s := &w.slots[slot]
	s.batch.Store(batch)
	s.item.Store(int64(item))
	s.kind.Store(uint32(kind))
	s.start.Store(int64(time.Since(w.epoch)) + 1)
	if w.active.Add(1) == 1 {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// End marks slot idle.
func (w *Watchdog) End(slot int) {
	if w == nil {
		return
	}
	w.slots[slot].start.Store(0)
	w.active.Add(-1)
}

// Base is the process memory level the Memory limit is added to.
func (w *Watchdog) Base() uint64 { return w.base }

func (w *Watchdog) run() {
	for {
		select {
		case <-w.wake:
		case <-w.done:
			return
		}
		t := time.NewTicker(watchdogTick)
		for w.active.Load() > 0 {
			select {
			case <-t.C:
			case <-w.done:
				t.Stop()
				return
			}
			if reason := w.check(); reason != "" {
				t.Stop()
				w.exit(reason)
				return
			}
		}
		t.Stop()
	}
}

// stop ends the watchdog goroutine (tests).
func (w *Watchdog) stop() { close(w.done) }

// check returns why the process must end, or "".
func (w *Watchdog) check() string {
	now := int64(time.Since(w.epoch)) + 1
	type render struct {
		slot  int
		batch uint64
		item  int64
		kind  tokwork.Kind
	}
	var buf [8]render
	busy := buf[:0]
	for i := range w.slots {
		s := &w.slots[i]
		start := s.start.Load()
		if start == 0 {
			continue
		}
		r := render{i, s.batch.Load(), s.item.Load(), tokwork.Kind(s.kind.Load())}
		if s.start.Load() != start {
			continue // it ended (and maybe another began) meanwhile
		}
		if ran := time.Duration(now - start); ran > w.limits.Timeout {
			return fmt.Sprintf("render timeout: %s ran %.1fs (--render-timeout %v)",
				describe(r.batch, r.item, r.kind, r.slot), ran.Seconds(), w.limits.Timeout)
		}
		busy = append(busy, r)
	}
	if len(busy) == 0 {
		return ""
	}
	if level := w.memory(); level > satAdd(w.base, uint64(w.limits.Memory)) {
		what := make([]string, len(busy))
		for i, r := range busy {
			what[i] = describe(r.batch, r.item, r.kind, r.slot)
		}
		return fmt.Sprintf("render memory limit: worker memory %s exceeds %s at start-up + %s (--render-memory) while rendering %s",
			FormatBytes(level), FormatBytes(w.base), FormatBytes(uint64(w.limits.Memory)), strings.Join(what, ", "))
	}
	return ""
}

// describe names a render for the limit message.
func describe(batch uint64, item int64, kind tokwork.Kind, slot int) string {
	switch {
	case item >= 0:
		return fmt.Sprintf("item %d (%s) of batch %d", item, kind, batch)
	case batch == 0:
		return fmt.Sprintf("the chat-template baseline render of counter %d at start-up", slot)
	}
	return fmt.Sprintf("the chat-template baseline render of a replacement counter (batch %d)", batch)
}

// memory is the process's memory as the Go memory limit counts it: every
// byte mapped by the runtime (heap, goroutine stacks, metadata) minus the
// heap returned to the OS.
func (w *Watchdog) memory() uint64 {
	metrics.Read(w.sample)
	var v [2]uint64
	for i, s := range w.sample {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	if v[1] > v[0] {
		return 0
	}
	return v[0] - v[1]
}

func satAdd(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}

// byteUnits are the units ParseBytes accepts.
var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

// ParseBytes parses a size in bytes: a plain integer ("268435456"), or an
// integer followed by B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB,
// GB, TB (powers of 1000): "512MiB", "2GiB".
func ParseBytes(s string) (int64, error) {
	num, mult := s, int64(1)
	for _, u := range byteUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("size %q: want a number of bytes, optionally with a unit (512MiB, 2GiB)", s)
	}
	if v > math.MaxInt64/mult {
		return 0, errors.New("size " + strconv.Quote(s) + " overflows")
	}
	return v * mult, nil
}

// ByteSize is a positive size in bytes as a command-line flag value
// (flag.Value and pflag.Value): plain bytes or a number with a unit, as
// ParseBytes reads it. The daemon's and the worker's --render-memory both
// parse through it, once, at flag time.
type ByteSize int64

// Set parses s (ParseBytes) and refuses zero.
func (b *ByteSize) Set(s string) error {
	v, err := ParseBytes(s)
	if err != nil {
		return err
	}
	if v == 0 {
		return fmt.Errorf("size %q: must be positive", s)
	}
	*b = ByteSize(v)
	return nil
}

// String formats b so that Set reads it back: the largest binary unit that
// divides it ("2GiB", "1536MiB"), else plain bytes.
func (b *ByteSize) String() string {
	n := int64(*b)
	for i := 3; i >= 0; i-- { // TiB, GiB, MiB, KiB
		if u := byteUnits[i]; n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// Type names the value in --help.
func (*ByteSize) Type() string { return "bytes" }

// FormatBytes formats n for messages: "512 B", "1.5 MiB", "2.0 GiB".
func FormatBytes(n uint64) string {
	const unit = 1 << 10
	if n < unit {
		return strconv.FormatUint(n, 10) + " B"
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
