package aggregator

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/internal/testutil"
	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// testNow is the clock of the test decoder (only malformed payloads use it).
const testNow = 999_999

// ev is one event of a test sequence (upstream conftest's session_event /
// sample_event factories build the same EventRecords).
type ev = events.RecordSpec

func sess(t events.Type, ts int64) ev { return ev{Type: t, TimestampNs: ts} }

func smp(t events.Type, uuid string, ts int64) ev {
	return ev{Type: t, TimestampNs: ts, SampleUUID: uuid}
}

func smpData(t events.Type, uuid string, ts int64, data []byte) ev {
	return ev{Type: t, TimestampNs: ts, SampleUUID: uuid, Data: data}
}

func finish(uuid string, ts int64, reason string) ev {
	return ev{Type: events.SampleComplete, TimestampNs: ts, SampleUUID: uuid, FinishReason: reason, HasFinish: true}
}

func errEv(uuid string, ts int64) ev {
	return ev{Type: events.ErrorGeneric, TimestampNs: ts, SampleUUID: uuid,
		Data: events.AppendData(nil, events.Data{Kind: events.DataErrorData, ErrorData: events.ErrorData{ErrorType: "t", ErrorMessage: "boom"}})}
}

// Data builders (upstream PromptData(...), TextModelOutput(...)).

func strp(s string) *string { return &s }

func prompt(p events.PromptData) []byte {
	return events.AppendData(nil, events.Data{Kind: events.DataPromptData, PromptData: p})
}

func promptText(s string) []byte { return prompt(events.PromptData{Text: strp(s)}) }

func promptIDs(ids ...int64) []byte {
	if ids == nil {
		ids = []int64{}
	}
	return prompt(events.PromptData{TokenIDs: ids})
}

func one(s string) events.Chunks { return events.Chunks{Kind: events.ChunksStr, Str: s} }
func list(s ...string) events.Chunks {
	return events.Chunks{Kind: events.ChunksList, List: append([]string{}, s...)}
}
func noReasoning() events.Chunks            { return events.Chunks{} }
func textOutput(s string) []byte            { return tmo(one(s), noReasoning(), nil) }
func streamingText(chunks ...string) []byte { return tmo(list(chunks...), noReasoning(), nil) }

func tmo(out, reasoning events.Chunks, toolCalls []pyvalue.Value) []byte {
	return events.AppendData(nil, events.Data{Kind: events.DataTextModelOutput,
		TextModelOutput: events.TextModelOutput{Output: out, Reasoning: reasoning, ToolCalls: toolCalls}})
}

// decode encodes specs as EventRecord payloads and decodes them back, so
// the aggregator sees exactly what the daemon's decoder hands it.
func decode(t testing.TB, specs ...ev) []events.Record {
	t.Helper()
	dec := events.Decoder{Now: func() int64 { return testNow }}
	recs := make([]events.Record, len(specs))
	for i, s := range specs {
		dec.DecodePayload(events.AppendRecord(nil, s), &recs[i])
		if recs[i].Err != nil {
			t.Fatalf("event %d (%v) does not decode: %v", i, s.Type, recs[i].Err)
		}
	}
	return recs
}

// logBuf collects the aggregator's log lines.
type logBuf = testutil.SyncBuffer

// harness is an aggregator under test (upstream make_aggregator), with an
// optional whitespace mock tokenizer and a captured log.
type harness struct {
	t   *testing.T
	a   *Aggregator
	tok *mockTokenizer // nil without a tokenizer
	log *logBuf
}

type opts struct {
	streaming    bool
	tokenizer    bool
	failingToken bool // upstream's FailingBatchTokenizer: jobs never complete
}

// streamingNoTok is upstream make_aggregator's default: streaming=True, no
// tokenizer.
var streamingNoTok = opts{streaming: true}

func newHarness(t *testing.T, o opts) *harness {
	t.Helper()
	h := &harness{t: t, log: &logBuf{}}
	cfg := Config{Streaming: o.streaming, SigFigs: 3, Buckets: 10,
		Log: slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if o.tokenizer || o.failingToken {
		h.tok = &mockTokenizer{failing: o.failingToken}
		cfg.NewTokens = func(tokwork.Recorder) tokwork.Sink { return h.tok }
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.a = a
	return h
}

func (h *harness) process(specs ...ev) Result {
	h.t.Helper()
	return h.a.Process(decode(h.t, specs...))
}

// drain is upstream's token_queue.drain_all(): every enqueued job is
// counted and recorded.
func (h *harness) drain() {
	h.t.Helper()
	if h.tok == nil {
		h.t.Fatal("drain without a tokenizer")
	}
	h.tok.flush(h.a)
}

// snap builds a live snapshot (upstream's snapshot_* helpers build LIVE).
func (h *harness) snap() *snapshot.Snapshot {
	var s snapshot.Snapshot
	h.a.Build(&s, snapshot.Live, 0, 0)
	return &s
}

func (h *harness) counter(name string) int64 {
	h.t.Helper()
	for _, c := range h.snap().Counters {
		if c.Name == name {
			return c.Value.I
		}
	}
	h.t.Fatalf("counter %s not registered", name)
	return 0
}

// series returns a registered series' stat; ok is false when unregistered.
func (h *harness) series(name string) (snapshot.Series, bool) {
	for _, s := range h.snap().Series {
		if s.Name == name {
			return s, true
		}
	}
	return snapshot.Series{}, false
}

// count is upstream snapshot_series_count: 0 when unregistered or empty.
func (h *harness) count(name string) int64 {
	s, _ := h.series(name)
	return s.Count
}

// total is upstream snapshot_series_total (as float64; int totals are exact
// well below 2^53).
func (h *harness) total(name string) float64 {
	s, ok := h.series(name)
	if !ok || s.Count == 0 {
		return 0
	}
	return s.Total.Value()
}

func (h *harness) wantCount(name string, want int64) {
	h.t.Helper()
	if got := h.count(name); got != want {
		h.t.Errorf("%s count = %d, want %d", name, got, want)
	}
}

func (h *harness) wantTotal(name string, want float64) {
	h.t.Helper()
	if got := h.total(name); got != want {
		h.t.Errorf("%s total = %v, want %v", name, got, want)
	}
}

func (h *harness) wantCounter(name string, want int64) {
	h.t.Helper()
	if got := h.counter(name); got != want {
		h.t.Errorf("%s = %d, want %d", name, got, want)
	}
}

func (h *harness) hasRow(uuid string) bool { return h.a.Table().has([]byte(uuid)) }

// mockTokenizer is upstream conftest's MockBatchTokenizer as a synchronous
// tokwork.Sink: jobs wait in a buffer until the test flushes them, and each is
// counted by whitespace splitting exactly as the mock counts its inputs.
type mockTokenizer struct {
	jobs    []tokwork.Job
	inputs  []tokwork.Input // every input ever enqueued, for capture tests
	failing bool
}

func (m *mockTokenizer) Enqueue(j tokwork.Job) {
	m.jobs = append(m.jobs, j)
	m.inputs = append(m.inputs, j.Input)
}

func (m *mockTokenizer) Pending() int64 { return int64(len(m.jobs)) }

// flush records every buffered job (upstream drain_all); a failing
// tokenizer records nothing and keeps its jobs pending, as upstream's
// flush_remaining returns the unfinished count.
func (m *mockTokenizer) flush(a *Aggregator) {
	if m.failing {
		return
	}
	for i := range m.jobs {
		a.RecordTokens(&m.jobs[i], mockCount(m.jobs[i].Input))
	}
	m.jobs = m.jobs[:0]
}

// mockCount is MockBatchTokenizer.count_batch_async for one input.
func mockCount(in tokwork.Input) int {
	switch in.Kind {
	case tokwork.Text:
		return len(strings.Fields(in.Text))
	case tokwork.Message:
		tool := ""
		if len(in.Message.ToolCalls) > 0 {
			tool = string(pyvalue.AppendJSON(nil, pyvalue.ArrayOf(in.Message.ToolCalls...)))
		}
		reasoning := ""
		if in.Message.Reasoning != nil {
			reasoning = *in.Message.Reasoning
		}
		return len(strings.Fields(in.Message.Content + " " + reasoning + " " + tool))
	case tokwork.Prompt:
		var parts []string
		for _, msg := range in.Prompt.Messages {
			for _, key := range []string{"content", "reasoning_content", "tool_calls"} {
				if v, ok := msg.Get(key); ok && v.Truthy() {
					parts = append(parts, pyStr(v))
				}
			}
		}
		for _, tool := range in.Prompt.Tools {
			parts = append(parts, pyStr(tool))
		}
		return len(strings.Fields(strings.Join(parts, " ")))
	}
	panic(fmt.Sprintf("mockCount: invalid input kind %d", in.Kind))
}

// pyStr is Python's str() of a decoded Any value: a str is itself, anything
// else its repr. Only whitespace matters to the mock's count, so repr is
// reproduced for the cases that decide it: container separators ", " and
// ": ", and strings whose non-space whitespace repr escapes.
func pyStr(v pyvalue.Value) string {
	if v.Kind == pyvalue.KindStr {
		return v.Str
	}
	var b strings.Builder
	pyRepr(&b, v)
	return b.String()
}

func pyRepr(b *strings.Builder, v pyvalue.Value) {
	switch v.Kind {
	case pyvalue.KindNil:
		b.WriteString("None")
	case pyvalue.KindBool:
		if v.Bool {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case pyvalue.KindInt:
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case pyvalue.KindUint:
		b.WriteString(strconv.FormatUint(v.Uint, 10))
	case pyvalue.KindFloat:
		b.WriteString(snapshot.FormatPyFloat(v.Float))
	case pyvalue.KindStr:
		q := byte('\'')
		if strings.ContainsRune(v.Str, '\'') && !strings.ContainsRune(v.Str, '"') {
			q = '"'
		}
		b.WriteByte(q)
		for _, r := range v.Str {
			switch {
			case r == '\\' || r == rune(q):
				b.WriteByte('\\')
				b.WriteRune(r)
			case r == '\n':
				b.WriteString(`\n`)
			case r == '\r':
				b.WriteString(`\r`)
			case r == '\t':
				b.WriteString(`\t`)
			case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0xa0):
				fmt.Fprintf(b, `\x%02x`, r)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte(q)
	case pyvalue.KindArray:
		b.WriteByte('[')
		for i, e := range v.Array {
			if i > 0 {
				b.WriteString(", ")
			}
			pyRepr(b, e)
		}
		b.WriteByte(']')
	case pyvalue.KindMap:
		b.WriteByte('{')
		for i, kv := range v.Map {
			if i > 0 {
				b.WriteString(", ")
			}
			pyRepr(b, kv.Key)
			b.WriteString(": ")
			pyRepr(b, kv.Value)
		}
		b.WriteByte('}')
	default:
		fmt.Fprintf(b, "<%d>", v.Kind)
	}
}
