package tokqueue

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/aggregator"
	"github.com/mlperf-tools/aggregator/pkg/events"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func textJob(s string) aggregator.TokenJob {
	return aggregator.TokenJob{Metric: aggregator.TokenOSL, Input: aggregator.TokenInput{Kind: aggregator.InputText, Text: s}}
}

// recorded collects (text, count) in recording order.
type recorded struct{ texts []string }

func (r *recorded) rec(j *aggregator.TokenJob, n int) {
	r.texts = append(r.texts, fmt.Sprintf("%s=%d", j.Input.Text, n))
}

// lenResults counts each text as its length in bytes.
func lenResults(texts []string) []Result {
	res := make([]Result, len(texts))
	for i, s := range texts {
		res[i] = Result{Count: len(s)}
	}
	return res
}

func TestQueueDedupeAndOrder(t *testing.T) {
	var r recorded
	q := New(r.rec, quiet)
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
	q := New(func(j *aggregator.TokenJob, c int) {
		n++
		if j.Input.Text == "boom" {
			panic("recorder failed")
		}
	}, quiet)
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
	q := New(r.rec, quiet)
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
	q.Apply(b3, 0, []Result{{Count: 2}, {Count: -1, Err: "bad"}, {Count: 2}})
	if got := fmt.Sprint(r.texts); got != "[t0=2 t2=2 t3=2 t4=2]" || q.Pending() != 1 {
		t.Fatalf("recorded %s pending %d", got, q.Pending())
	}
	// In the drain a per-item error leaves the item pending for good.
	d := q.TakeAll()
	q.Apply(d, 0, []Result{{Count: -1, Err: "bad again"}})
	q.Sweep()
	if q.Pending() != 1 || q.Len() != 0 {
		t.Fatalf("pending %d len %d", q.Pending(), q.Len())
	}
}

func TestQueueConversionErrorStaysPending(t *testing.T) {
	var r recorded
	q := New(r.rec, quiet)
	bad := aggregator.TokenJob{Metric: aggregator.TokenISL, Input: aggregator.TokenInput{Kind: aggregator.InputPrompt,
		Prompt: events.PromptData{Messages: []events.Value{events.MapOf("tool_calls", events.ArrayOf(events.Str("not a dict")))}}}}
	q.Enqueue(bad)
	q.Enqueue(textJob("ok"))
	b := q.TakeAll()
	q.Apply(b, 0, lenResults(b.Texts))
	if q.Pending() != 1 || fmt.Sprint(r.texts) != "[ok=2]" {
		t.Fatalf("pending %d recorded %v", q.Pending(), r.texts)
	}
}

// fakeWorker counts by length; fail makes Count fail after n batches.
type fakeWorker struct {
	batches, failAfter int
	delay              time.Duration
}

func (w *fakeWorker) Count(ctx context.Context, texts []string) ([]Result, error) {
	w.batches++
	if w.failAfter > 0 && w.batches > w.failAfter {
		return nil, fmt.Errorf("worker died")
	}
	select {
	case <-time.After(w.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return lenResults(texts), nil
}
func (w *fakeWorker) Close() error { return nil }
func (w *fakeWorker) Kill()        {}
func (w *fakeWorker) Pid() int     { return 0 }

func TestDrainSplitsAndLosesOnlyTheDeadWorkersRest(t *testing.T) {
	var r recorded
	q := New(r.rec, quiet)
	for i := range 100 {
		q.Enqueue(textJob(fmt.Sprintf("text-%03d", i)))
	}
	start := func(_ context.Context, cpus []int, _ int) (Worker, error) {
		switch cpus[0] {
		case 0:
			return &fakeWorker{failAfter: 2}, nil // dies on its third sub-batch
		case 2:
			return nil, fmt.Errorf("warm-up failed")
		}
		return &fakeWorker{}, nil
	}
	DrainSync(context.Background(), q, DrainConfig{Start: start, Blocks: [][]int{{0}, {1}, {2}}, SubBatchItems: 10, Log: quiet})
	// Two workers came up: 50 texts each; the first counted 20 of its 50.
	if q.Pending() != 30 || len(r.texts) != 70 {
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

func TestParsePythonJSON(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"a": 1, "b": [1.5, "x\u00e9", null], "a": 2}`, `{"a":2,"b":[1.5,"xé",null]}`},
		{` {"n": NaN, "i": -Infinity, "big": 1e400} `, `{"n":null,"i":null,"big":null}`},
		{`{"u":"\ud83d\ude00", "k": 1E5}`, `{"u":"😀","k":100000.0}`},
	} {
		v, err := ParsePythonJSON(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if got := string(events.AppendJSON(nil, v)); got != c.want {
			t.Errorf("%s → %s, want %s", c.in, got, c.want)
		}
	}
	for _, bad := range []string{`{"a":1,}`, `01`, `{"a" 1}`, "\"\x01\"", `[1] x`} {
		if _, err := ParsePythonJSON(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if _, err := ParsePythonJSON(`{"x": 123456789012345678901234567890}`); err != ErrUnencodable {
		t.Errorf("big int: %v", err)
	}
	if v, _ := ParsePythonJSON(`1.0`); v.Kind != events.KindFloat || v.Float != 1 || math.IsNaN(v.Float) {
		t.Errorf("1.0 → %+v", v)
	}
}

// BenchmarkEnqueue measures the hot-path cost of one job (0 allocs: pages
// are recycled once recorded).
func BenchmarkEnqueue(b *testing.B) {
	q := New(func(*aggregator.TokenJob, int) {}, quiet)
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
