package tokqueue

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/chattmpl"
	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func textJob(s string) tokwork.Job {
	return tokwork.Job{Metric: tokwork.OSL, Input: tokwork.Input{Kind: tokwork.Text, Text: s}}
}

// recFunc adapts a function to tokwork.Recorder.
type recFunc func(job *tokwork.Job, count int)

func (f recFunc) RecordTokens(job *tokwork.Job, count int) { f(job, count) }

// recorded collects (text, count) in recording order.
type recorded struct{ texts []string }

func (r *recorded) rec(j *tokwork.Job, n int) {
	r.texts = append(r.texts, fmt.Sprintf("%s=%d", j.Input.Text, n))
}

// lenResults counts each text as its length in bytes.
func lenResults(texts []string) []tokwork.Result {
	res := make([]tokwork.Result, len(texts))
	for i, s := range texts {
		res[i] = tokwork.Result{Count: len(s)}
	}
	return res
}

func TestQueueDedupeAndOrder(t *testing.T) {
	var r recorded
	q := New(recFunc(r.rec), quiet)
	for _, s := range []string{"aa", "b", "aa", "ccc", "b"} {
		q.Enqueue(textJob(s))
	}
	b := q.TakeAll()
	if got := fmt.Sprint(b.Texts); got != "[aa b ccc]" {
		t.Fatalf("distinct texts %s", got)
	}
	// Results for the tail arrive first: nothing is recorded out of order.
	if err := q.Apply(b, 2, lenResults(b.Texts[2:])); err != nil {
		t.Fatal(err)
	}
	if len(r.texts) != 0 || q.Pending() != 5 {
		t.Fatalf("recorded %v pending %d before the head was counted", r.texts, q.Pending())
	}
	q.Apply(b, 0, lenResults(b.Texts[:2]))
	if got := fmt.Sprint(r.texts); got != "[aa=2 b=1 aa=2 ccc=3 b=1]" || q.Pending() != 0 {
		t.Fatalf("recorded %s pending %d", got, q.Pending())
	}
	// Run-wide cache: a repeated text never reaches a worker again.
	q.Enqueue(textJob("ccc"))
	if b := q.TakeLive(LiveMaxPerKind); b != nil {
		t.Fatalf("cached text sent again: %v", b.Texts)
	}
	if q.Pending() != 0 || r.texts[len(r.texts)-1] != "ccc=3" {
		t.Fatalf("cache hit not recorded: %v", r.texts)
	}
	if s := q.Stats(); s.CacheHits != 3 || s.CacheMisses != 3 {
		t.Errorf("stats %+v", s)
	}
}

func TestQueueRecorderPanicIsolated(t *testing.T) {
	n := 0
	q := New(recFunc(func(j *tokwork.Job, c int) {
		n++
		if j.Input.Text == "boom" {
			panic("recorder failed")
		}
	}), quiet)
	for _, s := range []string{"a", "boom", "c"} {
		q.Enqueue(textJob(s))
	}
	b := q.TakeAll()
	q.Apply(b, 0, lenResults(b.Texts))
	if n != 3 || q.Pending() != 0 || q.Stats().RecorderPanics != 1 {
		t.Fatalf("recorder calls %d pending %d stats %+v", n, q.Pending(), q.Stats())
	}
}

func TestQueueLiveCapRequeueAndItemErrors(t *testing.T) {
	var r recorded
	q := New(recFunc(r.rec), quiet)
	for i := range 5 {
		q.Enqueue(textJob(fmt.Sprint("t", i)))
	}
	b := q.TakeLive(2) // contiguous: t0 t1, stops at the cap
	if fmt.Sprint(b.Texts) != "[t0 t1]" {
		t.Fatalf("live batch %v", b.Texts)
	}
	b2 := q.TakeLive(2)
	if fmt.Sprint(b2.Texts) != "[t2 t3]" {
		t.Fatalf("second live batch %v", b2.Texts)
	}
	// The first batch's worker died: its items go back, in place.
	q.Handle(Outcome{Batch: b, Err: fmt.Errorf("worker died")})
	q.Apply(b, 0, lenResults(b.Texts)) // late results of a re-queued batch: ignored
	if len(r.texts) != 0 {
		t.Fatalf("recorded %v", r.texts)
	}
	q.Apply(b2, 0, lenResults(b2.Texts))
	b3 := q.TakeLive(LiveMaxPerKind)
	if fmt.Sprint(b3.Texts) != "[t0 t1 t4]" {
		t.Fatalf("after requeue %v", b3.Texts)
	}
	// A per-item error in the live lane re-queues that item (at the tail).
	q.Apply(b3, 0, []tokwork.Result{{Count: 2}, {Count: -1, Err: "bad"}, {Count: 2}})
	if got := fmt.Sprint(r.texts); got != "[t0=2 t2=2 t3=2 t4=2]" || q.Pending() != 1 {
		t.Fatalf("recorded %s pending %d", got, q.Pending())
	}
	// In the drain a per-item error leaves the item pending for good.
	d := q.TakeAll()
	q.Apply(d, 0, []tokwork.Result{{Count: -1, Err: "bad again"}})
	q.Sweep()
	if q.Pending() != 1 || q.Len() != 0 {
		t.Fatalf("pending %d len %d", q.Pending(), q.Len())
	}
}

// promptJob is an ISL job for a structured prompt of one user message.
func promptJob(content string) tokwork.Job {
	return tokwork.Job{Metric: tokwork.ISL, Input: tokwork.Input{Kind: tokwork.Prompt,
		Prompt: events.PromptData{Messages: []pyvalue.Value{pyvalue.MapOf("role", "user", "content", content)}}}}
}

// TestQueueStructuredItemsArePayloads: structured inputs reach the worker
// as kind-tagged msgpack payloads (never rendered by the queue), identical
// inputs are deduplicated, and a text whose bytes equal a payload is a
// different item; a per-item error from the worker leaves the item
// pending.
func TestQueueStructuredItemsArePayloads(t *testing.T) {
	var r recorded
	q := New(recFunc(r.rec), quiet)
	q.Enqueue(promptJob("hi"))
	q.Enqueue(textJob("ok"))
	q.Enqueue(promptJob("hi"))
	payload := string(tokwork.AppendPrompt(nil, promptJob("hi").Input.Prompt))
	q.Enqueue(textJob(payload))
	b := q.TakeAll()
	if len(b.Texts) != 3 || fmt.Sprint(b.Kinds) != "[prompt text text]" {
		t.Fatalf("texts %q kinds %v", b.Texts, b.Kinds)
	}
	req, err := chattmpl.DecodeItem(b.Kinds[0], []byte(b.Texts[0]))
	if err != nil || req.Prompt == nil || len(req.Prompt.Messages) != 1 {
		t.Fatalf("payload decodes to %+v, %v", req, err)
	}
	if c, _ := req.Prompt.Messages[0].Get("content"); c.Str != "hi" {
		t.Fatalf("content %+v", c)
	}
	if b.Texts[2] != payload {
		t.Fatalf("third item %q", b.Texts[2])
	}
	q.Apply(b, 0, []tokwork.Result{{Count: -1, Err: "tool call is not a dict"}, {Count: 2}, {Count: 7}})
	q.Sweep()
	if q.Pending() != 2 || len(r.texts) != 2 {
		t.Fatalf("pending %d recorded %v", q.Pending(), r.texts)
	}
	// A batch of texts only carries no kinds.
	q.Enqueue(textJob("plain"))
	if b := q.TakeAll(); b.Kinds != nil || b.KindsOf(0, 1) != nil {
		t.Fatalf("kinds %v", b.Kinds)
	}
}

// TestLiveSuspectsAreIsolated: when the live worker dies on a batch, its
// structured items are sent alone afterwards; the one that kills the
// worker again fails for good, the others and the texts are counted, and
// recording order is kept.
func TestLiveSuspectsAreIsolated(t *testing.T) {
	var r recorded
	q := New(recFunc(r.rec), quiet)
	q.Enqueue(textJob("t0"))
	q.Enqueue(promptJob("good"))
	q.Enqueue(promptJob("evil"))
	q.Enqueue(textJob("t3"))
	b := q.TakeLive(LiveMaxPerKind)
	if len(b.Texts) != 4 {
		t.Fatalf("first batch %d", len(b.Texts))
	}
	q.Handle(Outcome{Batch: b, Err: fmt.Errorf("worker died"), Died: true})
	b1 := q.TakeLive(LiveMaxPerKind)
	if fmt.Sprint(b1.Texts) != "[t0]" {
		t.Fatalf("before the first suspect %q", b1.Texts)
	}
	q.Apply(b1, 0, lenResults(b1.Texts))
	b2 := q.TakeLive(LiveMaxPerKind)
	if len(b2.Texts) != 1 || b2.Kinds[0] != tokwork.Prompt {
		t.Fatalf("suspect batch %q %v", b2.Texts, b2.Kinds)
	}
	q.Apply(b2, 0, []tokwork.Result{{Count: 5, Rendered: true}})
	b3 := q.TakeLive(LiveMaxPerKind)
	if len(b3.Texts) != 1 {
		t.Fatalf("second suspect batch %q", b3.Texts)
	}
	q.Handle(Outcome{Batch: b3, Err: fmt.Errorf("worker died again"), Died: true})
	b4 := q.TakeLive(LiveMaxPerKind)
	if fmt.Sprint(b4.Texts) != "[t3]" {
		t.Fatalf("after the culprit %q", b4.Texts)
	}
	q.Apply(b4, 0, lenResults(b4.Texts))
	if got := fmt.Sprint(r.texts); got != "[t0=2 =5 t3=2]" || q.Pending() != 1 || q.Len() != 0 {
		t.Fatalf("recorded %s pending %d len %d", got, q.Pending(), q.Len())
	}
	if s := q.Stats(); s.Culprits != 1 || s.Rendered != 1 {
		t.Fatalf("stats %+v", s)
	}
	// A cancelled (not died) batch makes no suspects.
	q.Enqueue(promptJob("a"))
	q.Enqueue(promptJob("b"))
	b5 := q.TakeLive(LiveMaxPerKind)
	q.Handle(Outcome{Batch: b5, Err: context.Canceled})
	if b6 := q.TakeLive(LiveMaxPerKind); len(b6.Texts) != 2 {
		t.Fatalf("after a cancellation %d texts", len(b6.Texts))
	}
}

// fakeWorker counts by length; it dies (and stays dead) when a batch holds
// the poison text, and fails to start when its start function says so.
type fakeWorker struct {
	poison string
	dead   bool
	delay  time.Duration
}

func (w *fakeWorker) Count(ctx context.Context, texts []string, _ []tokwork.Kind) ([]tokwork.Result, error) {
	if w.dead {
		return nil, fmt.Errorf("worker is dead")
	}
	for _, s := range texts {
		if w.poison != "" && s == w.poison {
			w.dead = true
			return nil, fmt.Errorf("worker died: exit status 3")
		}
	}
	select {
	case <-time.After(w.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return lenResults(texts), nil
}
func (w *fakeWorker) Close() error { return nil }
func (w *fakeWorker) Kill()        { w.dead = true }
func (w *fakeWorker) Pid() int     { return 0 }

// TestDrainRestartsAndIsolatesTheCulprit: a worker that dies on a
// sub-batch is restarted and the sub-batch is counted item by item, so
// only the item that kills the worker stays pending; a block whose worker
// never comes up is skipped.
func TestDrainRestartsAndIsolatesTheCulprit(t *testing.T) {
	var r recorded
	q := New(recFunc(r.rec), quiet)
	for i := range 100 {
		q.Enqueue(textJob(fmt.Sprintf("text-%03d", i)))
	}
	starts := 0
	start := func(_ context.Context, cpus []int, _ int) (tokwork.Worker, error) {
		switch cpus[0] {
		case 0:
			starts++
			return &fakeWorker{poison: "text-025"}, nil
		case 2:
			return nil, fmt.Errorf("warm-up failed")
		}
		return &fakeWorker{}, nil
	}
	DrainSync(context.Background(), q, DrainConfig{Start: start, Blocks: [][]int{{0}, {1}, {2}}, SubBatchItems: 10, Log: quiet})
	// Two workers came up, 50 texts each; the first died on text-025 in
	// its third sub-batch, and again when it was sent alone.
	if q.Pending() != 1 || len(r.texts) != 99 || starts != 3 {
		t.Fatalf("pending %d recorded %d starts %d", q.Pending(), len(r.texts), starts)
	}
}

// TestDrainGivesUpAfterMaxRestarts: a worker that cannot be restarted
// leaves the rest of its chunk pending.
func TestDrainGivesUpAfterMaxRestarts(t *testing.T) {
	var r recorded
	q := New(recFunc(r.rec), quiet)
	for i := range 30 {
		q.Enqueue(textJob(fmt.Sprintf("text-%03d", i)))
	}
	starts := 0
	start := func(context.Context, []int, int) (tokwork.Worker, error) {
		if starts++; starts > 1 {
			return nil, fmt.Errorf("cannot start")
		}
		return &fakeWorker{poison: "text-012"}, nil
	}
	DrainSync(context.Background(), q, DrainConfig{Start: start, Blocks: [][]int{{0}}, SubBatchItems: 10, Log: quiet})
	if q.Pending() != 20 || len(r.texts) != 10 {
		t.Fatalf("pending %d recorded %d", q.Pending(), len(r.texts))
	}
}

func TestSplitByLength(t *testing.T) {
	texts := []string{"aaaaaaaaa", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
	b := splitByLength(texts, 2)
	if b[0] != 0 || b[2] != 10 || b[1] != 3 { // 10+2+2 | 7×2 bytes (+1 per text)
		t.Errorf("bounds %v: want the long first text alone-ish (balanced by length)", b)
	}
	if b := splitByLength(texts[:1], 3); b[3] != 1 {
		t.Errorf("bounds %v", b)
	}
}

// BenchmarkEnqueue measures the hot-path cost of one job (0 allocs: pages
// are recycled once recorded).
func BenchmarkEnqueue(b *testing.B) {
	q := New(recFunc(func(*tokwork.Job, int) {}), quiet)
	job := textJob("hello world")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		q.Enqueue(job)
		if i%4096 == 4095 {
			b.StopTimer()
			bt := q.TakeAll()
			if bt != nil {
				q.Apply(bt, 0, lenResults(bt.Texts))
			}
			b.StartTimer()
		}
	}
}
