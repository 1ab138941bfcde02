package tokqueue

import (
	"fmt"
	"log/slog"

	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// LiveMaxPerKind bounds a live batch: at most this many distinct texts per
// input kind (upstream's _LIVE_FLUSH_MAX_ITEMS).
const LiveMaxPerKind = 1024

// pageSize is the number of items per storage page.
const pageSize = 1024

type itemState uint8

const (
	stQueued   itemState = iota // waiting for a batch
	stInflight                  // in batch b at slot
	stResolved                  // count known (cache hit), not yet recorded
	stFailed                    // never counted: stays pending
	stMoved                     // re-queued at the tail (live per-item error)
	stRecorded                  // recorded (only set by Sweep)
)

// Slot outcomes in Batch.counts besides a count.
const (
	countUnknown int32 = -2
	countFailed  int32 = -1
)

type item struct {
	job   tokwork.Job
	b     *Batch
	slot  int32
	count int32
	state itemState
	// suspect: the item was in a live batch whose worker died. It is
	// sent alone next time; if that kills the worker too, it is the
	// culprit (a hostile chat template) and fails for good.
	suspect bool
}

// Batch is a set of distinct texts to count, taken from the queue. Texts is
// immutable once the batch is handed to a worker; everything else belongs
// to the owner.
type Batch struct {
	// Texts are the distinct payloads, in first-occurrence queue order:
	// texts, or msgpack payloads of structured inputs (see Kinds).
	Texts []string
	// Kinds are the payloads' kinds; nil when every one is a text.
	Kinds []tokwork.Kind
	// Live is true for a live-lane batch (failures are re-queued) and
	// false for the drain (failures stay pending).
	Live bool

	keys      []Key
	counts    []int32
	from, to  int64 // queue positions the batch took items from
	cancelled bool
}

// KindsOf returns Kinds[i:j], or nil when the batch holds only texts.
func (b *Batch) KindsOf(i, j int) []tokwork.Kind {
	if b.Kinds == nil {
		return nil
	}
	return b.Kinds[i:j]
}

// Bytes returns the total length of the batch's texts.
func (b *Batch) Bytes() int {
	n := 0
	for _, s := range b.Texts {
		n += len(s)
	}
	return n
}

// Queue is the token-work queue (see the package comment for ownership).
// Its zero value is not usable; call New.
type Queue struct {
	rec tokwork.Recorder
	log *slog.Logger

	pages [][]item // pages[0][0] is position base
	free  [][]item
	base  int64
	head  int64 // first position not yet recorded/skipped
	next  int64 // first position no batch has looked at (live lane)
	tail  int64

	pending int64

	h     hasher
	c     cache
	buf   []byte
	dedup map[Key]int32

	convErrs, itemErrs, recorderPanics int64
	rendered, fallbacks, culprits      int64
	fallbackSeen                       map[string]bool
}

// New returns an empty queue that records through rec.
func New(rec tokwork.Recorder, log *slog.Logger) *Queue {
	if log == nil {
		log = slog.Default()
	}
	return &Queue{rec: rec, log: log, h: newHasher(), dedup: make(map[Key]int32), fallbackSeen: map[string]bool{}}
}

// Enqueue appends job. It is O(1) and allocates nothing once the pages
// have grown to the peak backlog (recorded pages are recycled).
func (q *Queue) Enqueue(job tokwork.Job) {
	if int(q.tail-q.base) == len(q.pages)*pageSize {
		var p []item
		if n := len(q.free); n > 0 {
			p, q.free = q.free[n-1], q.free[:n-1]
		} else {
			p = make([]item, pageSize)
		}
		q.pages = append(q.pages, p)
	}
	it := q.at(q.tail)
	it.job = job
	it.state = stQueued
	it.suspect = false
	q.tail++
	q.pending++
}

// Pending returns the jobs enqueued and not yet recorded (n_pending_tasks).
func (q *Queue) Pending() int64 { return q.pending }

// Len returns the jobs not yet recorded or given up, queued or in flight.
func (q *Queue) Len() int64 { return q.tail - q.head }

func (q *Queue) at(p int64) *item {
	off := p - q.base
	return &q.pages[off/pageSize][off%pageSize]
}

// TakeLive takes the next live batch: items from the front of the queue
// not already in flight, until some input kind would exceed maxPerKind
// distinct texts. Items whose count is cached are resolved at once. It
// returns nil when there is nothing to send.
//
// The batch is a contiguous run of the queue (upstream skips over the
// items of a full kind instead): recording then stays in queue order.
func (q *Queue) TakeLive(maxPerKind int) *Batch {
	return q.take(true, maxPerKind)
}

// TakeAll takes every queued item into one batch of distinct texts (the
// drain); nil when nothing needs counting.
func (q *Queue) TakeAll() *Batch { return q.take(false, 0) }

func (q *Queue) take(live bool, maxPerKind int) *Batch {
	start := q.next
	if !live || start < q.head {
		start = q.head
	}
	b := &Batch{Live: live, from: start, to: q.tail}
	clear(q.dedup)
	var perKind [tokwork.NumKinds]int
	for p := start; p < q.tail; p++ {
		it := q.at(p)
		if it.state != stQueued {
			continue
		}
		if live && it.suspect && len(b.Texts) > 0 {
			b.to = p // a suspect goes alone
			break
		}
		kind, text, err := q.payload(it)
		if err != nil {
			continue
		}
		k := q.h.key(kind, text)
		if n, ok := q.c.get(k); ok {
			it.state, it.count = stResolved, n
			continue
		}
		if slot, ok := q.dedup[k]; ok {
			q.c.hits++
			it.state, it.b, it.slot = stInflight, b, slot
			continue
		}
		if live {
			if perKind[kind] >= maxPerKind {
				b.to = p
				break
			}
			perKind[kind]++
		}
		q.c.misses++
		slot := int32(len(b.Texts))
		if kind != tokwork.Text && b.Kinds == nil {
			b.Kinds = make([]tokwork.Kind, len(b.Texts), cap(b.Texts))
		}
		if b.Kinds != nil {
			b.Kinds = append(b.Kinds, kind)
		}
		b.Texts = append(b.Texts, text)
		b.keys = append(b.keys, k)
		b.counts = append(b.counts, countUnknown)
		q.dedup[k] = slot
		it.state, it.b, it.slot = stInflight, b, slot
		if live && it.suspect {
			b.to = p + 1
			break
		}
	}
	if live {
		q.next = b.to
	}
	clear(q.dedup)
	q.advance()
	if len(b.Texts) == 0 {
		return nil
	}
	return b
}

// payload converts an item's job; a conversion error fails the item for
// good.
func (q *Queue) payload(it *item) (tokwork.Kind, string, error) {
	var (
		kind tokwork.Kind
		s    string
		err  error
	)
	kind, s, q.buf, err = tokwork.Payload(&it.job.Input, q.buf)
	if err != nil {
		it.state = stFailed
		q.convErrs++
		if q.convErrs == 1 {
			q.log.Warn("token input cannot be converted to text; item stays pending (upstream raises on it too)",
				"metric", it.job.Metric.String(), "kind", it.job.Input.Kind.String(), "err", err)
		}
	}
	return kind, s, err
}

// Apply records the results of b.Texts[from:from+len(res)] (a whole live
// batch, or one drain sub-batch). Counts go into the run-wide cache; jobs
// are recorded in queue order as far as every earlier job is settled. A
// per-item error re-queues the item (live) or leaves it pending (drain).
// Results for a cancelled (re-queued) batch are ignored.
func (q *Queue) Apply(b *Batch, from int, res []tokwork.Result) error {
	if b.cancelled {
		return nil
	}
	if from < 0 || from+len(res) > len(b.Texts) {
		return fmt.Errorf("results [%d,%d) outside a batch of %d texts", from, from+len(res), len(b.Texts))
	}
	failed := false
	for i, r := range res {
		slot := from + i
		if r.Err != "" || r.Count < 0 {
			b.counts[slot] = countFailed
			failed = true
			q.itemErrs++
			if q.itemErrs == 1 {
				q.log.Warn("tokenizer failed on an item", "err", r.Err, "live", b.Live)
			}
			continue
		}
		q.noteChat(r)
		b.counts[slot] = int32(r.Count)
		q.c.put(b.keys[slot], int32(r.Count))
	}
	if failed && b.Live {
		q.moveFailed(b)
	}
	q.advance()
	return nil
}

// noteChat counts rendered items and fallbacks, and logs each distinct
// fallback reason once (upstream: once per tokenizer and exception type).
func (q *Queue) noteChat(r tokwork.Result) {
	if r.Rendered {
		q.rendered++
	}
	if r.Fallback == "" {
		return
	}
	q.fallbacks++
	if len(q.fallbackSeen) < 64 && !q.fallbackSeen[r.Fallback] {
		q.fallbackSeen[r.Fallback] = true
		q.log.Warn("chat template could not be applied; counted upstream's fallback text instead (as upstream does)", "reason", r.Fallback)
	}
}

// moveFailed re-appends the live batch's failed items at the tail of the
// queue so they do not hold back recording; they stay pending.
func (q *Queue) moveFailed(b *Batch) {
	end := b.to
	for p := max(b.from, q.head); p < end; p++ {
		it := q.at(p)
		if it.state == stInflight && it.b == b && b.counts[it.slot] == countFailed {
			job, suspect := it.job, it.suspect
			it.state, it.b, it.job = stMoved, nil, tokwork.Job{}
			q.pending-- // the copy carries it
			q.Enqueue(job)
			q.at(q.tail - 1).suspect = suspect
		}
	}
}

// Requeue gives the unresolved items of b back to the queue (a failed or
// cancelled live batch, a drain that did not finish): they keep their
// place and are taken again by the next batch. Later results for b are
// ignored.
func (q *Queue) Requeue(b *Batch) { q.requeue(b, false) }

// requeue is Requeue; died says the batch's worker died on it. Then a
// batch holding a single suspect item fails that item for good (it killed
// the worker twice: the culprit), and otherwise the batch's structured
// items become suspects, each sent alone next time, so that one hostile
// chat template cannot stall the live lane.
func (q *Queue) requeue(b *Batch, died bool) {
	if b == nil || b.cancelled {
		return
	}
	b.cancelled = true
	culprit := died && len(b.Texts) == 1
	for p := max(b.from, q.head); p < b.to && p < q.tail; p++ {
		it := q.at(p)
		if it.state == stInflight && it.b == b {
			switch n := b.counts[it.slot]; {
			case n >= 0:
				it.state, it.count = stResolved, n
			case culprit && it.suspect:
				it.state = stFailed
				q.culprits++
				q.log.Warn("a structured input killed the live token worker twice; it stays pending (n_pending_tasks)",
					"metric", it.job.Metric.String(), "kind", it.job.Input.Kind.String())
			default:
				it.state = stQueued
				if died && it.job.Input.Kind != tokwork.Text {
					it.suspect = true
				}
			}
			it.b = nil
		}
	}
	if b.from < q.next {
		q.next = b.from
	}
	q.advance()
}

// resolved returns the count of it when it is known.
func resolved(it *item) (int32, bool) {
	switch it.state {
	case stResolved:
		return it.count, true
	case stInflight:
		if n := it.b.counts[it.slot]; n >= 0 {
			return n, true
		}
	}
	return 0, false
}

// advance records from the head while the head's count is known, skipping
// failed and moved items, and recycles fully consumed pages.
func (q *Queue) advance() {
	for q.head < q.tail {
		it := q.at(q.head)
		if n, ok := resolved(it); ok {
			q.record(&it.job, int(n))
		} else if it.state == stInflight && it.b.counts[it.slot] == countFailed && !it.b.Live {
			it.state = stFailed
		} else if it.state != stFailed && it.state != stMoved && it.state != stRecorded {
			break
		}
		*it = item{}
		q.head++
		if q.head-q.base == pageSize {
			q.free = append(q.free, q.pages[0])
			q.pages[0] = nil
			q.pages = q.pages[1:]
			q.base += pageSize
		}
	}
	if q.next < q.head {
		q.next = q.head
	}
}

// Sweep records, in queue order, every job whose count is known even when
// an earlier one is not (the end of a drain that did not finish); the rest
// stay pending.
func (q *Queue) Sweep() {
	for p := q.head; p < q.tail; p++ {
		it := q.at(p)
		if n, ok := resolved(it); ok {
			q.record(&it.job, int(n))
			it.state, it.b, it.job = stRecorded, nil, tokwork.Job{}
		}
	}
	q.advance()
}

// record runs the recorder for one job; a panicking recorder is isolated
// (logged) and the job still counts as recorded.
func (q *Queue) record(job *tokwork.Job, n int) {
	defer func() {
		q.pending--
		if r := recover(); r != nil {
			q.recorderPanics++
			q.log.Error("token metric recorder panicked; item counted as recorded",
				"metric", job.Metric.String(), "panic", r)
		}
	}()
	q.rec.RecordTokens(job, n)
}

// Stats are the queue's counters for the end-of-run log line.
type Stats struct {
	Pending                int64
	CacheHits, CacheMisses int64
	HitRate                float64
	ConvErrors, ItemErrors int64
	RecorderPanics         int64
	DistinctTextsCached    int
	// Rendered items went through the chat template; Fallbacks were
	// counted through upstream's fallback text; Culprits killed the
	// live worker twice and were given up.
	Rendered, Fallbacks, Culprits int64
}

// Stats returns the queue's counters.
func (q *Queue) Stats() Stats {
	return Stats{
		Pending: q.pending, CacheHits: q.c.hits, CacheMisses: q.c.misses, HitRate: q.c.hitRate(),
		ConvErrors: q.convErrs, ItemErrors: q.itemErrs, RecorderPanics: q.recorderPanics,
		DistinctTextsCached: len(q.c.m),
		Rendered:            q.rendered, Fallbacks: q.fallbacks, Culprits: q.culprits,
	}
}

// LogStats logs the cache hit rate and the failure counters.
func (q *Queue) LogStats() {
	s := q.Stats()
	q.log.Info("token queue", "n_pending_tasks", s.Pending, "cache_hit_rate", fmt.Sprintf("%.3f", s.HitRate),
		"cache_hits", s.CacheHits, "texts_tokenized", s.CacheMisses, "conversion_errors", s.ConvErrors,
		"item_errors", s.ItemErrors, "recorder_panics", s.RecorderPanics,
		"chat_rendered", s.Rendered, "chat_fallbacks", s.Fallbacks, "live_culprits", s.Culprits)
}
