package snapshot

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadJSONRoundTrip reads every fixture's JSON back: the snapshot is
// equal (non-finite values come back as NaN, since the file holds null) and
// writing it again gives the same bytes.
func TestReadJSONRoundTrip(t *testing.T) {
	for _, fx := range fixtures() {
		t.Run(fx.name, func(t *testing.T) {
			data := AppendJSON(nil, fx.snap)
			got, err := ReadJSON(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if again := AppendJSON(nil, got); !bytes.Equal(again, data) {
				t.Fatalf("rewrite differs:\n%s", firstDiff(string(again), string(data)))
			}
			if fx.name != "nonfinite" && !equalSnapshots(got, fx.snap) {
				t.Fatalf("snapshot differs\ngot  %v\nwant %v", canon(got), canon(fx.snap))
			}
		})
	}
}

func TestReadJSONNumbers(t *testing.T) {
	doc := `{"counter": 1, "timestamp_ns": 2, "state": "live", "n_pending_tasks": 0, "metrics": [
		{"type": "counter", "name": "int", "value": 3},
		{"type": "counter", "name": "float", "value": 3.0},
		{"type": "counter", "name": "exp", "value": 1e5},
		{"type": "counter", "name": "negzero", "value": -0.0},
		{"type": "counter", "name": "big", "value": 123456789012345678901234567890},
		{"type": "counter", "name": "null", "value": null},
		{"type": "counter", "name": "overflow", "value": 1e400}
	]}`
	s, err := ReadJSON(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []Num{Int(3), Float(3), Float(1e5), Float(math.Copysign(0, -1)),
		{Big: bigInt("123456789012345678901234567890")}, Float(math.NaN()), Float(math.Inf(1))}
	if len(s.Counters) != len(want) {
		t.Fatalf("got %d counters", len(s.Counters))
	}
	for i, w := range want {
		g := s.Counters[i].Value
		same := g.Float == w.Float && (g.Float && (math.Float64bits(g.F) == math.Float64bits(w.F) || math.IsNaN(g.F) && math.IsNaN(w.F)) ||
			!g.Float && g.I == w.I && (g.Big == nil) == (w.Big == nil) && (g.Big == nil || g.Big.Cmp(w.Big) == 0))
		if !same {
			t.Errorf("%s: got %+v, want %+v", s.Counters[i].Name, g, w)
		}
	}
}

// TestReadJSONEarlyStopping distinguishes absent/null (not computed, nil)
// from an empty map, and reads null estimates as invalid.
func TestReadJSONEarlyStopping(t *testing.T) {
	series := func(extra string) string {
		return `{"state": "complete", "metrics": [{"type": "series", "name": "s", "count": 0, "total": 0,
			"min": 0, "max": 0, "sum_sq": 0, "percentiles": {}` + extra + `, "histogram": []}]}`
	}
	tests := []struct {
		name  string
		extra string
		want  []Estimate
	}{
		{"absent", "", nil},
		{"null", `, "early_stopping_percentiles": null`, nil},
		{"empty", `, "early_stopping_percentiles": {}`, []Estimate{}},
		{"values", `, "early_stopping_percentiles": {"99.9": null, "50.0": 7}`,
			[]Estimate{{Key: "99.9"}, {Key: "50.0", Value: 7, Valid: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadJSON(strings.NewReader(series(tt.extra)))
			if err != nil {
				t.Fatal(err)
			}
			got := s.Series[0].EarlyStopping
			if (got == nil) != (tt.want == nil) || len(got) != len(tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %#v, want %#v", got, tt.want)
				}
			}
		})
	}
}

func TestReadJSONSkipsUnknownKeys(t *testing.T) {
	doc := `{"future": {"a": [1, {"b": null}]}, "counter": 4, "state": "draining",
		"metrics": [{"type": "counter", "extra": [[]], "name": "c", "value": 1}], "tail": "x"}`
	s, err := ReadJSON(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if s.Counter != 4 || s.State != Draining || len(s.Counters) != 1 || s.Counters[0].Name != "c" {
		t.Fatalf("got %+v", s)
	}
}

func TestReadJSONErrors(t *testing.T) {
	tests := []struct{ name, doc, msg string }{
		{"not json", `{"counter": `, "read json"},
		{"not an object", `[1]`, "want object, got ["},
		{"unknown state", `{"state": "paused"}`, `unknown state "paused"`},
		{"float count", `{"metrics": [{"type": "series", "count": 1.5}]}`, "want int, got float 1.5"},
		{"float counter", `{"counter": 1e3}`, "counter: want int"},
		{"unknown type", `{"metrics": [{"type": "gauge", "name": "g"}]}`, `unknown type "gauge"`},
		{"bucket shape", `{"metrics": [{"type": "series", "histogram": [[[1.0], 2]]}]}`, "1 edges"},
		{"bucket length", `{"metrics": [{"type": "series", "histogram": [[[1.0, 2.0], 2, 3]]}]}`, "more than 2 elements"},
		{"string value", `{"metrics": [{"type": "counter", "value": "1"}]}`, "want number"},
		{"trailing data", `{} {}`, "after snapshot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tt.doc))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "snapshot: read json") {
				t.Fatalf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}

// TestUpstreamFinalSnapshots reads final_snapshot.json files written by the
// upstream Python aggregator (generated with /work/shared/oracle: gen_events
// -n 300 --seed 7 + oracle --streaming --early-stopping, and gen_events -n 50
// --seed 3 + oracle) and checks that writing them again reproduces the
// upstream bytes exactly, and that the msgpack form round-trips.
func TestUpstreamFinalSnapshots(t *testing.T) {
	for _, name := range []string{"upstream_final_streaming_es.json", "upstream_final_plain.json"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			s, err := ReadJSON(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Counters) == 0 || len(s.Series) == 0 {
				t.Fatalf("suspiciously empty: %d counters, %d series", len(s.Counters), len(s.Series))
			}
			if got := AppendJSON(nil, s); !bytes.Equal(got, data) {
				t.Fatalf("rewrite differs from upstream:\n%s", firstDiff(string(got), string(data)))
			}
			var back Snapshot
			if err := DecodeMsgpack(AppendMsgpack(nil, s), &back); err != nil {
				t.Fatal(err)
			}
			if !equalSnapshots(&back, s) {
				t.Fatal("msgpack round trip differs")
			}
		})
	}
}
