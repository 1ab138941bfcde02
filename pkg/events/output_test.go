package events

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// Cases from upstream tests/unit/core/test_types.py
// (TestTextAfterFirstChunk) and tests/unit/test_core_types.py
// (TestTextModelOutputChunks).
func TestTextAfterFirstChunkUpstreamTable(t *testing.T) {
	none := Chunks{}
	cases := []struct {
		name              string
		reasoning, output Chunks
		want              string
	}{
		{"no_reasoning-str_output", none, one("abc"), ""},
		{"no_reasoning-tuple_output", none, list("a", "b", "c"), "bc"},
		{"no_reasoning-single_chunk", none, list("a"), ""},
		{"no_reasoning-empty_tuple", none, list(), ""},
		{"str_reasoning-str_output", one("think"), one("abc"), ""},
		{"str_reasoning-tuple_output", one("think"), list("a", "b"), "ab"},
		{"multi_reasoning-str_output", list("t1", "t2"), one("abc"), "t2abc"},
		{"multi_reasoning-tuple_output", list("t1", "t2"), list("a", "b"), "t2ab"},
		{"single_reasoning-str_output", list("t1"), one("abc"), "abc"},
		{"single_reasoning-tuple_output", list("t1"), list("a", "b"), "ab"},
		{"empty_str_reasoning-tuple_output", one(""), list("a", "b"), "b"},
		{"empty_tuple_reasoning-tuple_output", list(), list("a", "b"), "b"},
		{"no_reasoning-empty_str_output", none, one(""), ""},
		{"streamed_output_drops_first_chunk", none, list("a", "b c", "d"), "b cd"},
		{"single_chunk", none, list("only"), ""},
		{"nonstreaming", none, one("full text"), ""},
		{"streamed_reasoning_holds_the_first_chunk", list("r1", "r2"), list("o1", "o2"), "r2o1o2"},
	}
	for _, tc := range cases {
		tmo := TextModelOutput{Output: tc.output, Reasoning: tc.reasoning}
		got, err := tmo.TextAfterFirstChunk()
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q (%v), want %q", tc.name, got, err, tc.want)
		}
	}
}

// toolCallFixtures are the inputs of upstream's TestTextModelOutputToolCalls
// (plus two extra cases: two interleaved indexes with a type override, and
// escaping/float formatting); testdata/tmo_expected.jsonl holds what
// upstream's Python code returns for them (generated with
// /work/shared/oracle/stubs, whose JSON matches msgspec).
func toolCallFixtures() map[string]TextModelOutput {
	tc := []pyvalue.Value{pyvalue.MapOf("id", "c1", "type", "function", "function", pyvalue.MapOf("name", "f", "arguments", "{}"))}
	delta := func(idx int, kv ...any) pyvalue.Value { return pyvalue.MapOf(append([]any{"index", idx}, kv...)...) }
	d1 := []pyvalue.Value{
		pyvalue.ArrayOf(delta(0, "id", "c1", "type", "function", "function", pyvalue.MapOf("name", "f", "arguments", "first"))),
		pyvalue.ArrayOf(delta(0, "function", pyvalue.MapOf("arguments", "tail"))),
	}
	d2 := []pyvalue.Value{
		pyvalue.ArrayOf(delta(0, "id", "c1", "type", "function", "function", pyvalue.MapOf("name", "f", "arguments", `{"a":`))),
		pyvalue.ArrayOf(delta(0, "function", pyvalue.MapOf("arguments", "1}"))),
	}
	d3 := []pyvalue.Value{pyvalue.ArrayOf(delta(0, "id", "c1", "type", "function", "function", pyvalue.MapOf("name", "f", "arguments", "{}")))}
	d4 := []pyvalue.Value{
		pyvalue.ArrayOf(delta(1, "id", "c2", "function", pyvalue.MapOf("name", "g", "arguments", "{")), delta(0, "id", "c1", "function", pyvalue.MapOf("name", "f"))),
		pyvalue.ArrayOf(delta(1, "function", pyvalue.MapOf("arguments", "}")), delta(0, "type", "custom", "function", pyvalue.MapOf("arguments", "x"))),
	}
	floats := []pyvalue.Value{pyvalue.MapOf("a", 1.5, "b", 1e-7, "c", 2.5e20, "d", 100.0, "e", nil, "f", true, "g", pyvalue.ArrayOf(pyvalue.Int(1), pyvalue.Int(-2)))}
	return map[string]TextModelOutput{
		"str_tc":          {Output: one("hello"), ToolCalls: tc},
		"tuple_tc":        {Output: list("a", "b"), ToolCalls: tc},
		"empty_tc":        {Output: list(), ToolCalls: tc},
		"delta_tail":      {Output: list(), ToolCalls: d1},
		"delta_single":    {Output: list(), ToolCalls: d3},
		"delta_merge":     {Output: one(""), ToolCalls: d2},
		"tuple_reason_tc": {Output: list("a", "b"), Reasoning: list("r1", "r2"), ToolCalls: tc},
		"abc_tc":          {Output: list("a", "b", "c"), ToolCalls: tc},
		"two_idx":         {Output: list("x"), Reasoning: one("r"), ToolCalls: d4},
		"unicode":         {Output: list("é\n\t\"\\\x01\x7f"), ToolCalls: floats},
	}
}

func TestTextModelOutputMethodsMatchUpstream(t *testing.T) {
	f, err := os.Open("testdata/tmo_expected.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fixtures := toolCallFixtures()
	sc := bufio.NewScanner(f)
	seen := 0
	for sc.Scan() {
		var exp struct {
			Name  string
			Str   string
			After string
			MP    [3]*string
			MA    [3]*string
		}
		if err := json.Unmarshal(sc.Bytes(), &exp); err != nil {
			t.Fatal(err)
		}
		tmo, found := fixtures[exp.Name]
		if !found {
			t.Fatalf("no fixture %q", exp.Name)
		}
		seen++
		if got, err := tmo.Text(); err != nil || got != exp.Str {
			t.Errorf("%s: Text() = %q (%v), want %q", exp.Name, got, err, exp.Str)
		}
		if got, err := tmo.TextAfterFirstChunk(); err != nil || got != exp.After {
			t.Errorf("%s: TextAfterFirstChunk() = %q (%v), want %q", exp.Name, got, err, exp.After)
		}
		check := func(what string, mp MessageParts, err error, want [3]*string) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s %s: %v", exp.Name, what, err)
			}
			if mp.Content != *want[0] {
				t.Errorf("%s %s: content %q, want %q", exp.Name, what, mp.Content, *want[0])
			}
			if (mp.Reasoning == nil) != (want[1] == nil) || mp.Reasoning != nil && *mp.Reasoning != *want[1] {
				t.Errorf("%s %s: reasoning %v, want %v", exp.Name, what, mp.Reasoning, want[1])
			}
			if (mp.ToolCalls == nil) != (want[2] == nil) {
				t.Fatalf("%s %s: tool calls %v, want %v", exp.Name, what, mp.ToolCalls, want[2])
			}
			if want[2] != nil {
				if got := string(pyvalue.AppendJSON(nil, pyvalue.ArrayOf(mp.ToolCalls...))); got != *want[2] {
					t.Errorf("%s %s: tool calls JSON %s, want %s", exp.Name, what, got, *want[2])
				}
			}
		}
		mp, err := tmo.AsMessageParts()
		check("AsMessageParts", mp, err, exp.MP)
		ma, err := tmo.AsMessagePartsAfterFirstChunk()
		check("AsMessagePartsAfterFirstChunk", ma, err, exp.MA)
	}
	if seen != len(fixtures) {
		t.Fatalf("checked %d of %d fixtures", seen, len(fixtures))
	}
}

func TestMergeToolCalls(t *testing.T) {
	if got, err := MergeToolCalls(nil); got != nil || err != nil {
		t.Fatalf("nil: %v %v", got, err)
	}
	if got, err := MergeToolCalls([]pyvalue.Value{}); got != nil || err != nil {
		t.Fatalf("empty: %v %v", got, err)
	}
	complete := []pyvalue.Value{pyvalue.MapOf("id", "x")}
	if got, _ := MergeToolCalls(complete); len(got) != 1 || got[0].Map[0].Value.Str != "x" {
		t.Fatalf("complete calls not passed through: %v", got)
	}
	// Missing index counts as 0; True == 1 as a dict key; sorted by index.
	got, err := MergeToolCalls([]pyvalue.Value{
		pyvalue.ArrayOf(pyvalue.MapOf("index", 2, "function", pyvalue.MapOf("name", "b")), pyvalue.MapOf("function", pyvalue.MapOf("arguments", "a0"))),
		pyvalue.ArrayOf(pyvalue.MapOf("index", true, "id", "one"), pyvalue.MapOf("index", 1.0, "function", pyvalue.MapOf("arguments", "1"))),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"type":"function","function":{"arguments":"a0"}},{"type":"function","function":{"arguments":"1"},"id":"one"},{"type":"function","function":{"arguments":"","name":"b"}}]`
	if s := string(pyvalue.AppendJSON(nil, pyvalue.ArrayOf(got...))); s != want {
		t.Fatalf("merged %s\nwant   %s", s, want)
	}
	// What Python raises on.
	bad := map[string][]pyvalue.Value{
		"partial not a dict":  {pyvalue.ArrayOf(pyvalue.Str("x"))},
		"chunk not iterable":  {pyvalue.ArrayOf(), pyvalue.Int(3)},
		"function not a dict": {pyvalue.ArrayOf(pyvalue.MapOf("function", "f"))},
		"arguments not a str": {pyvalue.ArrayOf(pyvalue.MapOf("function", pyvalue.MapOf("arguments", 5)))},
		"unhashable index":    {pyvalue.ArrayOf(pyvalue.MapOf("index", pyvalue.ArrayOf(pyvalue.Int(1))))},
		"unorderable indexes": {pyvalue.ArrayOf(pyvalue.MapOf("index", 1), pyvalue.MapOf("index", "a"))},
		"str chunk iterates":  {pyvalue.ArrayOf(), pyvalue.Str("ab")},
		"dict chunk iterates": {pyvalue.ArrayOf(), pyvalue.MapOf("k", 1)},
	}
	for name, tc := range bad {
		if _, err := MergeToolCalls(tc); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Empty iterables are fine.
	if got, err := MergeToolCalls([]pyvalue.Value{pyvalue.ArrayOf(), pyvalue.Str(""), pyvalue.MapOf()}); err != nil || len(got) != 0 {
		t.Fatalf("empty chunks: %v %v", got, err)
	}
}
