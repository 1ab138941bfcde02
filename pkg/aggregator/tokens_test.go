package aggregator

// Ports of upstream's token-trigger tests (test_aggregator.py
// TestAsyncTriggers, test_metrics_table.py TestOslTriggerToolCalls and
// TestTpotTriggerToolCalls) with the whitespace MockBatchTokenizer of
// conftest.py as a synchronous sink, plus the input-extraction rules of
// IslTrigger/OslTrigger/TpotTrigger._extract_tokenization_input.

import (
	"reflect"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"

	"github.com/mlperf-tools/aggregator/pkg/events"
)

var withTok = opts{streaming: true, tokenizer: true}

// toolCall is upstream's complete tool call
// {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}.
func toolCall() pyvalue.Value {
	return pyvalue.MapOf("id", "c1", "type", "function", "function", pyvalue.MapOf("name", "f", "arguments", "{}"))
}

func TestAsyncTriggers(t *testing.T) {
	runFold(t, []foldCase{
		{
			name: "isl_text_path_async", o: withTok,
			batches: batch(sess(startPT, 0), smpData(issued, "s1", 1000, promptText("hello world foo bar"))),
			drain:   true,
			check:   func(t *testing.T, h *harness) { h.wantTotal(snapshot.ISL, 4) },
		},
		{
			// Mock prompt count: content / reasoning_content / tool_calls of
			// each message (str() of non-strings) plus str() of each tool:
			// "hello" "think carefully" "[{'function': {'name': 'lookup'}}]"
			// "tool result" "{'function': {'name': 'lookup'}}" = 11 words.
			// Upstream asserts count 1 and total > 5.
			name: "isl_structured_prompt_includes_reasoning_and_tools", o: withTok,
			batches: batch(sess(startPT, 0), smpData(issued, "s1", 1000, prompt(events.PromptData{
				Messages: []pyvalue.Value{
					pyvalue.MapOf("role", "user", "content", "hello"),
					pyvalue.MapOf("role", "assistant", "reasoning_content", "think carefully", "content", nil,
						"tool_calls", pyvalue.ArrayOf(pyvalue.MapOf("function", pyvalue.MapOf("name", "lookup")))),
					pyvalue.MapOf("role", "tool", "content", "tool result"),
				},
				Tools: []pyvalue.Value{pyvalue.MapOf("function", pyvalue.MapOf("name", "lookup"))},
			}))),
			drain: true,
			check: func(t *testing.T, h *harness) {
				h.wantCount(snapshot.ISL, 1)
				h.wantTotal(snapshot.ISL, 11)
			},
		},
		{
			name: "osl_emitted_on_complete", o: withTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 1000), smpData(done, "s1", 5000, textOutput("the quick brown fox"))),
			drain:   true,
			check: func(t *testing.T, h *harness) {
				h.wantTotal(snapshot.SampleLatencyNs, 4000)
				h.wantTotal(snapshot.OSL, 4)
			},
		},
		{
			// snapshot.OSL("hello world foo") = 3; TPOT = (5000-2000) / |"world foo"| = 1500.
			name: "tpot_emitted_for_streaming", o: withTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 1000), smp(recv1, "s1", 2000),
				smpData(done, "s1", 5000, streamingText("hello", " world", " foo"))),
			drain: true,
			check: func(t *testing.T, h *harness) {
				h.wantTotal(snapshot.OSL, 3)
				h.wantCount(snapshot.TPOTNs, 1)
				h.wantTotal(snapshot.TPOTNs, 1500)
			},
		},
		{
			// One chunk: nothing after the first chunk, so no TPOT job at all.
			name: "tpot_skipped_when_single_chunk", o: withTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 1000), smp(recv1, "s1", 2000),
				smpData(done, "s1", 5000, streamingText("only"))),
			check: func(t *testing.T, h *harness) {
				if p := h.a.Pending(); p != 1 {
					t.Errorf("pending = %d, want 1 (snapshot.OSL only)", p)
				}
				h.drain()
				h.wantTotal(snapshot.OSL, 1)
				h.wantCount(snapshot.TPOTNs, 0)
			},
		},
		{
			// streaming=False: latency and snapshot.OSL only; streaming series absent.
			name: "tpot_not_emitted_without_streaming_flag", o: opts{tokenizer: true},
			batches: batch(sess(startPT, 0), smp(issued, "s1", 1000), smp(recv1, "s1", 2000),
				smpData(done, "s1", 5000, streamingText("hello", " world", " foo"))),
			drain: true,
			check: func(t *testing.T, h *harness) {
				h.wantTotal(snapshot.SampleLatencyNs, 4000)
				h.wantTotal(snapshot.OSL, 3)
				for _, name := range []string{snapshot.TPOTNs, snapshot.TTFTNs, snapshot.ChunkDeltaNs} {
					if _, ok := h.series(name); ok {
						t.Errorf("%s registered without streaming", name)
					}
				}
			},
		},
		{
			// A str output has no first chunk: text_after_first_chunk is "".
			name: "tpot_non_streaming_output_skipped", o: withTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 1000), smp(recv1, "s1", 2000),
				smpData(done, "s1", 5000, textOutput("hello world foo"))),
			drain: true,
			check: func(t *testing.T, h *harness) {
				h.wantTotal(snapshot.OSL, 3)
				h.wantCount(snapshot.TPOTNs, 0)
			},
		},
		{
			// fire() only buffers; the flush tokenizes and records.
			name: "flush_records_buffered_tokenizations", o: withTok,
			batches: batch(sess(startPT, 0), smpData(issued, "s1", 1000, promptText("a b c d e"))),
			check: func(t *testing.T, h *harness) {
				if p := h.a.Pending(); p <= 0 {
					t.Fatalf("pending = %d before the flush, want > 0", p)
				}
				h.wantCount(snapshot.ISL, 0)
				h.drain()
				if p := h.a.Pending(); p != 0 {
					t.Errorf("pending = %d after the flush, want 0", p)
				}
				h.wantTotal(snapshot.ISL, 5)
			},
		},
		{
			// Work enqueued before ENDED in the same batch is kept for the
			// end-of-run drain (which the daemon runs before finalizing).
			name: "shutdown_flushes_buffered_tokenizations", o: withTok,
			batches: batch(sess(startPT, 0), smpData(issued, "s1", 1000, promptText("one two three")), sess(ended, 2000)),
			check: func(t *testing.T, h *harness) {
				if !h.a.Ended() {
					t.Fatal("ENDED not seen")
				}
				if p := h.a.Pending(); p != 1 {
					t.Fatalf("pending at ENDED = %d, want 1", p)
				}
				h.drain()
				h.wantTotal(snapshot.ISL, 3)
			},
		},
		{
			// Message path: snapshot.OSL = |"ok" + " " + "" + " " + json(tool_calls)| = 2;
			// TPOT: str output without streamed reasoning has no tail, so
			// only the tool-call JSON (1 word): (5000-2000)/1.
			name: "tpot_osl_for_tool_call_complete", o: withTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 1000), smp(recv1, "s1", 2000),
				smpData(done, "s1", 5000, tmo(one("ok"), noReasoning(), []pyvalue.Value{toolCall()}))),
			drain: true,
			check: func(t *testing.T, h *harness) {
				h.wantTotal(snapshot.OSL, 2)
				h.wantTotal(snapshot.TPOTNs, 3000)
			},
		},
		{
			// Token triggers fire on tracked completions only.
			name: "untracked_complete_enqueues_nothing", o: withTok,
			batches: batch(smpData(issued, "w", 1, promptText("a b")), smp(recv1, "w", 2),
				smpData(done, "w", 3, streamingText("x", " y"))),
			check: func(t *testing.T, h *harness) {
				if p := h.a.Pending(); p != 0 {
					t.Errorf("pending = %d, want 0", p)
				}
			},
		},
	})
}

// Upstream TestOslTriggerToolCalls and TestTpotTriggerToolCalls, driven
// through the fold (issued at 0, RECV_FIRST where upstream's pre_change has
// recv_first_ns).
func TestTriggerToolCalls(t *testing.T) {
	runFold(t, []foldCase{
		{
			// Message path: |"hello world" + "  " + json| = 3.
			name: "osl_with_tool_calls_uses_message_path", o: withTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 0),
				smpData(done, "s1", 1000, tmo(one("hello world"), noReasoning(), []pyvalue.Value{toolCall()}))),
			check: func(t *testing.T, h *harness) {
				if k := h.tok.inputs[0].Kind; k != tokwork.Message {
					t.Errorf("snapshot.OSL input kind = %v, want message", k)
				}
				h.drain()
				h.wantCount(snapshot.OSL, 1)
				h.wantTotal(snapshot.OSL, 3)
			},
		},
		{
			name: "osl_without_tool_calls_uses_text_path", o: withTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 0), smpData(done, "s1", 1000, textOutput("hello world"))),
			check: func(t *testing.T, h *harness) {
				want := []tokwork.Input{{Kind: tokwork.Text, Text: "hello world"}}
				if !reflect.DeepEqual(h.tok.inputs, want) {
					t.Errorf("inputs = %+v, want %+v", h.tok.inputs, want)
				}
				h.drain()
				h.wantCount(snapshot.OSL, 1)
				h.wantTotal(snapshot.OSL, 2)
			},
		},
		{
			name: "osl_with_reasoning_uses_structured_message_path", o: opts{tokenizer: true},
			batches: batch(sess(startPT, 0), smp(issued, "s1", 0),
				smpData(done, "s1", 1000, tmo(one("answer"), one("private reasoning"), nil))),
			check: func(t *testing.T, h *harness) {
				want := []tokwork.Input{{Kind: tokwork.Message, Message: events.MessageParts{Content: "answer", Reasoning: strp("private reasoning")}}}
				if !reflect.DeepEqual(h.tok.inputs, want) {
					t.Errorf("inputs = %#v, want %#v", h.tok.inputs, want)
				}
			},
		},
		{
			// output=[] with complete tool calls: the whole JSON is the
			// tail (1 word), so TPOT = (2000-1000)/1.
			name: "tpot_tool_calls_only_response", o: withTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 0), smp(recv1, "s1", 1000),
				smpData(done, "s1", 2000, tmo(list(), noReasoning(), []pyvalue.Value{toolCall()}))),
			drain: true,
			check: func(t *testing.T, h *harness) {
				h.wantCount(snapshot.TPOTNs, 1)
				h.wantTotal(snapshot.TPOTNs, 1000)
			},
		},
		{
			// The first delta chunk is the first stream chunk; the rest
			// merges to {"type":"function","function":{"arguments":"after chunk"}}
			// whose JSON splits into 2 words: (5000-1000)/2.
			name: "tpot_uses_tool_call_deltas_after_first_chunk", o: withTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 0), smp(recv1, "s1", 1000),
				smpData(done, "s1", 5000, tmo(list(), noReasoning(), []pyvalue.Value{
					pyvalue.ArrayOf(pyvalue.MapOf("index", 0, "id", "c1", "type", "function",
						"function", pyvalue.MapOf("name", "f", "arguments", "first chunk "))),
					pyvalue.ArrayOf(pyvalue.MapOf("index", 0, "function", pyvalue.MapOf("arguments", "after chunk"))),
				}))),
			drain: true,
			check: func(t *testing.T, h *harness) {
				h.wantCount(snapshot.TPOTNs, 1)
				h.wantTotal(snapshot.TPOTNs, 2000)
			},
		},
	})
}

// The extraction rules, input by input: which kind, what payload, and no
// job at all where upstream's _extract_tokenization_input returns None (so
// n_pending_tasks matches upstream).
func TestTokenInputExtraction(t *testing.T) {
	msgs := []pyvalue.Value{pyvalue.MapOf("role", "user", "content", "hi")}
	tools := []pyvalue.Value{pyvalue.MapOf("type", "function")}
	kwargs := pyvalue.MapOf("enable_thinking", false)
	choice := pyvalue.Str("auto")
	type job struct {
		metric tokwork.Metric
		in     tokwork.Input
	}
	cases := []struct {
		name      string
		streaming bool
		issue     []byte // ISSUED data
		recvFirst bool
		complete  []byte // COMPLETE data
		want      []job
	}{
		{name: "isl_text", issue: promptText("a b"), want: []job{{tokwork.ISL, tokwork.Input{Kind: tokwork.Text, Text: "a b"}}}},
		{name: "isl_text_beats_messages", issue: prompt(events.PromptData{Text: strp("t"), Messages: msgs}),
			want: []job{{tokwork.ISL, tokwork.Input{Kind: tokwork.Text, Text: "t"}}}},
		{name: "isl_empty_text_falls_to_messages",
			issue: prompt(events.PromptData{Text: strp(""), Messages: msgs, Tools: tools, ChatTemplateKwargs: &kwargs,
				ChatTemplate: strp("{{x}}"), ToolChoice: &choice}),
			want: []job{{tokwork.ISL, tokwork.Input{Kind: tokwork.Prompt, Prompt: events.PromptData{Messages: msgs, Tools: tools,
				ChatTemplateKwargs: &kwargs, ChatTemplate: strp("{{x}}"), ToolChoice: &choice}}}}},
		{name: "isl_empty_messages_tuple_is_not_none", issue: prompt(events.PromptData{Messages: []pyvalue.Value{}}),
			want: []job{{tokwork.ISL, tokwork.Input{Kind: tokwork.Prompt, Prompt: events.PromptData{Messages: []pyvalue.Value{}}}}}},
		{name: "isl_nothing_to_count", issue: prompt(events.PromptData{Text: strp(""), Tools: tools})},
		{name: "isl_token_ids_counted_at_once", issue: promptIDs(1, 2, 3)},
		{name: "isl_not_prompt_data", issue: textOutput("x y")},

		{name: "osl_text", complete: textOutput("x y"), want: []job{{tokwork.OSL, tokwork.Input{Kind: tokwork.Text, Text: "x y"}}}},
		{name: "osl_streamed_chunks_joined", complete: streamingText("x", " y"),
			want: []job{{tokwork.OSL, tokwork.Input{Kind: tokwork.Text, Text: "x y"}}}},
		{name: "osl_empty_output", complete: textOutput("")},
		{name: "osl_empty_chunks", complete: streamingText()},
		{name: "osl_empty_reasoning_is_falsy", complete: tmo(one("o"), one(""), nil),
			want: []job{{tokwork.OSL, tokwork.Input{Kind: tokwork.Text, Text: "o"}}}},
		{name: "osl_empty_tool_calls_are_falsy", complete: tmo(one("o"), noReasoning(), []pyvalue.Value{}),
			want: []job{{tokwork.OSL, tokwork.Input{Kind: tokwork.Text, Text: "o"}}}},
		{name: "osl_reasoning_message", complete: tmo(list("a", "b"), list("r1", "r2"), nil),
			want: []job{{tokwork.OSL, tokwork.Input{Kind: tokwork.Message, Message: events.MessageParts{Content: "ab", Reasoning: strp("r1r2")}}}}},
		{name: "osl_not_text_model_output", complete: promptText("a")},

		// TPOT (streaming, RECV_FIRST seen): snapshot.OSL job first, then TPOT.
		{name: "tpot_text_tail", streaming: true, recvFirst: true, complete: streamingText("a", " b", " c"),
			want: []job{{tokwork.OSL, tokwork.Input{Kind: tokwork.Text, Text: "a b c"}}, {tokwork.TPOT, tokwork.Input{Kind: tokwork.Text, Text: " b c"}}}},
		{name: "tpot_no_recv_first", streaming: true, complete: streamingText("a", " b"),
			want: []job{{tokwork.OSL, tokwork.Input{Kind: tokwork.Text, Text: "a b"}}}},
		{name: "tpot_not_streaming", recvFirst: true, complete: streamingText("a", " b"),
			want: []job{{tokwork.OSL, tokwork.Input{Kind: tokwork.Text, Text: "a b"}}}},
		{name: "tpot_reasoning_tail_message", streaming: true, recvFirst: true, complete: tmo(one("out"), list("r1", "r2"), nil),
			want: []job{
				{tokwork.OSL, tokwork.Input{Kind: tokwork.Message, Message: events.MessageParts{Content: "out", Reasoning: strp("r1r2")}}},
				{tokwork.TPOT, tokwork.Input{Kind: tokwork.Message, Message: events.MessageParts{Content: "out", Reasoning: strp("r2")}}},
			}},
		{name: "tpot_str_reasoning_message_even_if_empty", streaming: true, recvFirst: true, complete: tmo(one("out"), one("r"), nil),
			want: []job{
				{tokwork.OSL, tokwork.Input{Kind: tokwork.Message, Message: events.MessageParts{Content: "out", Reasoning: strp("r")}}},
				{tokwork.TPOT, tokwork.Input{Kind: tokwork.Message}},
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, opts{streaming: c.streaming, tokenizer: true})
			h.process(sess(startPT, 0), smpData(issued, "s", 10, c.issue))
			if c.recvFirst {
				h.process(smp(recv1, "s", 20))
			}
			h.process(smpData(done, "s", 30, c.complete))
			var got []job
			for _, j := range h.tok.jobs {
				got = append(got, job{j.Metric, j.Input})
				if j.Metric == tokwork.TPOT && j.WindowNs != 10 {
					t.Errorf("TPOT window = %d, want 30-20", j.WindowNs)
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("jobs:\n got %#v\nwant %#v", got, c.want)
			}
			if p := h.a.Pending(); p != int64(len(c.want)) {
				t.Errorf("pending = %d, want %d", p, len(c.want))
			}
		})
	}
}

// Where upstream's extraction raises (malformed streamed tool-call deltas),
// the trigger logs a warning and enqueues nothing for that metric.
func TestTokenInputExtractionErrorLogsAndSkips(t *testing.T) {
	h := newHarness(t, opts{tokenizer: true})
	bad := tmo(one("o"), noReasoning(), []pyvalue.Value{pyvalue.ArrayOf(pyvalue.Str("not a dict"))})
	h.process(sess(startPT, 0), smp(issued, "s", 1), smpData(done, "s", 2, bad))
	if p := h.a.Pending(); p != 0 {
		t.Errorf("pending = %d, want 0", p)
	}
	if !strings.Contains(h.log.String(), "level=WARN") || !strings.Contains(h.log.String(), "osl") {
		t.Errorf("no warning logged:\n%s", h.log)
	}
	// The sample itself is still folded.
	h.wantCounter(snapshot.TrackedSamplesCompleted, 1)
	h.wantCount(snapshot.SampleLatencyNs, 1)
}

// TPOT records nothing for a zero count (upstream _compute_value returns
// None), and its value is the window over the count as a float.
func TestRecordTokens(t *testing.T) {
	h := newHarness(t, withTok)
	h.a.RecordTokens(&tokwork.Job{Metric: tokwork.TPOT, WindowNs: 1000}, 0)
	h.a.RecordTokens(&tokwork.Job{Metric: tokwork.TPOT, WindowNs: 1000}, -1)
	h.wantCount(snapshot.TPOTNs, 0)
	h.a.RecordTokens(&tokwork.Job{Metric: tokwork.TPOT, WindowNs: 1000}, 3)
	if s, _ := h.series(snapshot.TPOTNs); s.Count != 1 || !s.Total.Float || s.Total.F != 1000.0/3 {
		t.Errorf("tpot = %+v, want one float 1000/3", s.Total)
	}
	// snapshot.ISL/snapshot.OSL record the count itself, zero included.
	h.a.RecordTokens(&tokwork.Job{Metric: tokwork.ISL}, 0)
	h.a.RecordTokens(&tokwork.Job{Metric: tokwork.OSL}, 7)
	h.wantCount(snapshot.ISL, 1)
	h.wantTotal(snapshot.OSL, 7)
	// Without --streaming there is no tpot series: recording is a no-op.
	h2 := newHarness(t, opts{tokenizer: true})
	h2.a.RecordTokens(&tokwork.Job{Metric: tokwork.TPOT, WindowNs: 5}, 1)
}

// Job inputs own their bytes: reusing the frame buffer after Process must
// not change what the tokenizer later reads.
func TestTokenJobsDoNotAliasTheFrame(t *testing.T) {
	h := newHarness(t, withTok)
	msgs := []pyvalue.Value{pyvalue.MapOf("role", "user", "content", pyvalue.Value{Kind: pyvalue.KindBin, Bytes: []byte("bin!")})}
	payloads := [][]byte{
		events.AppendRecord(nil, sess(startPT, 0)),
		events.AppendRecord(nil, smpData(issued, "s", 1, prompt(events.PromptData{Messages: msgs}))),
	}
	frame := events.AppendBatchFrame(nil, payloads)
	var dec events.Decoder
	var b events.Batch
	if err := dec.DecodeFrame(frame, &b); err != nil {
		t.Fatal(err)
	}
	h.a.Process(b.Records)
	for i := range frame {
		frame[i] = 'X'
	}
	if len(h.tok.jobs) != 1 {
		t.Fatalf("jobs = %d, want 1", len(h.tok.jobs))
	}
	got, _ := h.tok.jobs[0].Input.Prompt.Messages[0].Get("content")
	if string(got.Bytes) != "bin!" {
		t.Errorf("job content = %q after the frame was overwritten", got.Bytes)
	}
}

// Without a tokenizer the fold allocates nothing per event, token_ids snapshot.ISL
// included.
func TestNoTokenizerFoldDoesNotAllocate(t *testing.T) {
	h := newHarness(t, streamingNoTok)
	h.process(sess(started, 0), sess(startPT, 0))
	recs := decode(t,
		smpData(issued, "0123456789abcdef0123456789abcdef", 10, promptIDs(1, 2, 3)),
		smp(recv1, "0123456789abcdef0123456789abcdef", 20),
		smp(recvN, "0123456789abcdef0123456789abcdef", 30),
		ev{Type: done, TimestampNs: 40, SampleUUID: "0123456789abcdef0123456789abcdef",
			Data: streamingText("a", "b"), FinishReason: "stop", HasFinish: true},
	)
	// Warm up so the series' raw slices have room.
	for i := 0; i < 64; i++ {
		h.a.Process(recs)
	}
	allocs := testing.AllocsPerRun(200, func() { h.a.Process(recs) })
	// Series raw-value slices grow amortised: allow a rare doubling.
	if allocs > 0.1 {
		t.Errorf("%.2f allocations per 4-event pass, want 0", allocs)
	}
}
