package snapshot

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestAppendJSONLayout(t *testing.T) {
	s := taggedUnionSnapshot()
	s.Series[0].EarlyStopping = []Estimate{{Key: "50", Value: 12.5, Valid: true}, {Key: "99"}}
	want := `{
  "counter": 2,
  "timestamp_ns": 42,
  "state": "complete",
  "n_pending_tasks": 3,
  "metrics": [
    {
      "type": "counter",
      "name": "c1",
      "value": 10
    },
    {
      "type": "series",
      "name": "s1",
      "count": 1,
      "total": 10,
      "min": 10,
      "max": 10,
      "sum_sq": 100,
      "percentiles": {
        "50": 10.0
      },
      "early_stopping_percentiles": {
        "50": 12.5,
        "99": null
      },
      "histogram": [
        [
          [
            1.0,
            10.0
          ],
          1
        ]
      ]
    }
  ]
}`
	if got := string(AppendJSON(nil, s)); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestAppendJSONEmptyContainers(t *testing.T) {
	s := &Snapshot{Counter: 1, TimestampNs: -5, State: Live}
	want := "{\n  \"counter\": 1,\n  \"timestamp_ns\": -5,\n  \"state\": \"live\",\n  \"n_pending_tasks\": 0,\n  \"metrics\": []\n}"
	if got := string(AppendJSON(nil, s)); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	s.Series = []Series{{Name: "e", Total: Float(0), Min: Int(0), Max: Int(0), SumSq: Float(0), EarlyStopping: []Estimate{}}}
	got := string(AppendJSON(nil, s))
	for _, frag := range []string{
		`"total": 0.0,`, `"min": 0,`, `"percentiles": {},`, `"early_stopping_percentiles": {},`,
		"\"histogram\": []\n    }\n  ]\n}",
	} {
		if !strings.Contains(got, frag) {
			t.Errorf("missing %q in\n%s", frag, got)
		}
	}
}

// TestAppendJSONScrubNonfinite ports test_scrub_nonfinite_round_trip_yields_none
// and extends it to every numeric field: NaN/±Inf become null and the
// output is strict JSON.
func TestAppendJSONScrubNonfinite(t *testing.T) {
	s := &Snapshot{Counter: 1, State: Complete, Series: []Series{{
		Name: "ttft_ns", Count: 1, Total: Float(0), Min: Float(0), Max: Float(0), SumSq: Float(0),
		Percentiles: []Percentile{{"50.0", math.NaN()}, {"90.0", math.Inf(1)}, {"99.0", math.Inf(-1)}},
	}}}
	var d struct {
		Metrics []struct {
			Percentiles map[string]*float64 `json:"percentiles"`
		} `json:"metrics"`
	}
	out := AppendJSON(nil, s)
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatalf("not strict JSON: %v\n%s", err, out)
	}
	perc := d.Metrics[0].Percentiles
	if len(perc) != 3 || perc["50.0"] != nil || perc["90.0"] != nil || perc["99.0"] != nil {
		t.Fatalf("percentiles = %v, want all null", perc)
	}

	// Every other float-bearing field.
	for _, fx := range fixtures() {
		if fx.name != "nonfinite" {
			continue
		}
		out := string(AppendJSON(nil, fx.snap))
		// Strict JSON has no NaN/Infinity/nan/inf literals.
		if !json.Valid([]byte(out)) {
			t.Fatalf("invalid JSON:\n%s", out)
		}
		for _, frag := range []string{`"value": null`, `"min": null`, `"max": null`, `"sum_sq": null`, `"total": 0.0`,
			"[\n            null,\n            null\n          ],\n          4"} {
			if !strings.Contains(out, frag) {
				t.Errorf("missing %q in\n%s", frag, out)
			}
		}
	}
}

// TestAppendJSONEarlyStoppingPlacement pins the early-stopping contract of
// snapshot_to_dict (test_complete_snapshot_carries_grid_keyed_estimates,
// test_map_only_on_enabled_complete_snapshots): the key is absent when not
// computed and otherwise sits directly after "percentiles", keys in order,
// None as null.
func TestAppendJSONEarlyStoppingPlacement(t *testing.T) {
	s := realisticSnapshot()
	out := AppendJSON(nil, s)
	withES := "type name count total min max sum_sq percentiles early_stopping_percentiles histogram"
	withoutES := "type name count total min max sum_sq percentiles histogram"
	for i, m := range s.Series {
		keys := strings.Join(metricKeys(t, out, len(s.Counters)+i), " ")
		want := withoutES
		if m.EarlyStopping != nil {
			want = withES
		}
		if keys != want {
			t.Errorf("series %s keys = %q, want %q", m.Name, keys, want)
		}
	}
	if keys := strings.Join(metricKeys(t, out, 0), " "); keys != "type name value" {
		t.Errorf("counter keys = %q", keys)
	}
	var d struct {
		Metrics []struct {
			ES json.RawMessage `json:"early_stopping_percentiles"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatal(err)
	}
	es := string(d.Metrics[len(s.Counters)].ES)
	if !strings.HasPrefix(es, "{\n        \"99.9\": null,\n        \"99.0\": ") {
		t.Errorf("early stopping map = %s", es)
	}
}

// metricKeys returns the keys, in order, of metrics[idx] in a snapshot JSON.
func metricKeys(t *testing.T, doc []byte, idx int) []string {
	t.Helper()
	var d struct {
		Metrics []json.RawMessage `json:"metrics"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(d.Metrics[idx]))
	var keys []string
	depth := 0
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		if dl, ok := tok.(json.Delim); ok {
			if dl == '{' || dl == '[' {
				depth++
			} else {
				depth--
			}
			if depth == 1 {
				expectKey = true
			}
			continue
		}
		if depth == 1 {
			if expectKey {
				keys = append(keys, tok.(string))
			}
			expectKey = !expectKey
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"ttft_ns", `"ttft_ns"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"\n\r\t\b\f", `"\n\r\t\b\f"`},
		{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001f\u007f"`},
		{"/<>&'", `"/<>&'"`},
		{"café", `"caf\u00e9"`},
		{"\u20ac\u4e2d\uffff", `"\u20ac\u4e2d\uffff"`},
		{"\U0001F600", `"\ud83d\ude00"`},
		{"\U00010000\U0010FFFF", `"\ud800\udc00\udbff\udfff"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
	}
	for _, tt := range tests {
		if got := string(appendJSONString(nil, tt.in)); got != tt.want {
			t.Errorf("appendJSONString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestAppendJSONNum(t *testing.T) {
	tests := []struct {
		in   Num
		want string
	}{
		{Int(0), "0"},
		{Int(-7), "-7"},
		{Int(math.MaxInt64), "9223372036854775807"},
		{Int(math.MinInt64), "-9223372036854775808"},
		{Num{Big: bigInt("-123456789012345678901234567890")}, "-123456789012345678901234567890"},
		{Float(3), "3.0"},
		{Float(1e16), "1e+16"},
		{Float(math.NaN()), "null"},
	}
	for _, tt := range tests {
		if got := string(appendJSONNum(nil, tt.in)); got != tt.want {
			t.Errorf("appendJSONNum(%+v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// pyDictScript builds the dict form from each msgpack wire payload the way
// snapshot_to_dict lays it out (the schema restated here, not imported),
// then prints json.dumps(dict, indent=2, allow_nan=False) and the re-dump of
// our JSON through json.loads, as JSON lines.
const pyDictScript = `
import json, math, sys, msgpack
def scrub(v):
    return None if isinstance(v, float) and not math.isfinite(v) else v
def to_dict(w):
    metrics = []
    for m in w[4]:
        if m[0] == "counter":
            metrics.append({"type": "counter", "name": m[1], "value": scrub(m[2])})
            continue
        d = {"type": "series", "name": m[1], "count": m[2], "total": scrub(m[3]),
             "min": scrub(m[4]), "max": scrub(m[5]), "sum_sq": scrub(m[6]),
             "percentiles": {k: scrub(v) for k, v in m[7].items()}}
        if len(m) > 9 and m[9] is not None:
            d["early_stopping_percentiles"] = {k: scrub(v) for k, v in m[9].items()}
        d["histogram"] = [[[scrub(r[0]), scrub(r[1])], c] for r, c in m[8]]
        metrics.append(d)
    return {"counter": w[0], "timestamp_ns": w[1], "state": w[2], "n_pending_tasks": w[3], "metrics": metrics}
for line in sys.stdin:
    req = json.loads(line)
    wire = msgpack.unpackb(bytes.fromhex(req["wire"]), raw=False)
    print(json.dumps({
        "from_wire": json.dumps(to_dict(wire), indent=2, allow_nan=False),
        "redump": json.dumps(json.loads(req["ours"]), indent=2, allow_nan=False),
    }))
`

// TestAppendJSONAgainstPython checks byte equality with Python's json.dumps
// two ways per fixture: (1) Python decodes our msgpack payload, builds the
// snapshot_to_dict dict itself (scrubbing non-finite floats) and dumps it;
// (2) Python parses our JSON and dumps it again.
func TestAppendJSONAgainstPython(t *testing.T) {
	fxs := fixtures()
	var in bytes.Buffer
	for _, fx := range fxs {
		line, _ := json.Marshal(map[string]string{
			"wire": hex.EncodeToString(AppendMsgpack(nil, fx.snap)),
			"ours": string(AppendJSON(nil, fx.snap)),
		})
		in.Write(line)
		in.WriteByte('\n')
	}
	out := runPython(t, pyDictScript, in.Bytes(), "msgpack")
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(fxs) {
		t.Fatalf("python returned %d results for %d fixtures", len(lines), len(fxs))
	}
	for k, fx := range fxs {
		var res struct {
			FromWire string `json:"from_wire"`
			Redump   string `json:"redump"`
		}
		if err := json.Unmarshal([]byte(lines[k]), &res); err != nil {
			t.Fatalf("%s: %v", fx.name, err)
		}
		ours := string(AppendJSON(nil, fx.snap))
		if fx.name == "int_and_float_series" {
			// The wire carries a beyond-uint64 Big as float64; the JSON
			// keeps the exact int, so compare with the snapshot rewired.
			cp := *fx.snap
			cp.Series = append([]Series(nil), fx.snap.Series...)
			cp.Series[2].Total = Float(cp.Series[2].Total.Value())
			if want := string(AppendJSON(nil, &cp)); res.FromWire != want {
				t.Errorf("%s: from wire differs:\n%s", fx.name, firstDiff(res.FromWire, want))
			}
		} else if res.FromWire != ours {
			t.Errorf("%s: python json.dumps(snapshot_to_dict) differs:\n%s", fx.name, firstDiff(res.FromWire, ours))
		}
		if res.Redump != ours {
			t.Errorf("%s: python re-dump differs:\n%s", fx.name, firstDiff(res.Redump, ours))
		}
	}
}

// TestAppendJSONAgainstPythonLiteral compares with json.dumps of a dict
// written out by hand in Python.
func TestAppendJSONAgainstPythonLiteral(t *testing.T) {
	const script = `
import json, sys
d = {"counter": 5, "timestamp_ns": 123456789012, "state": "interrupted", "n_pending_tasks": 7,
     "metrics": [
        {"type": "counter", "name": "duration_ns", "value": 2.5e-07},
        {"type": "counter", "name": "big", "value": 2**70},
        {"type": "series", "name": "ttft_ns", "count": 3, "total": 1.0e16, "min": 0.0001, "max": -0.0,
         "sum_sq": None, "percentiles": {"99.9": 1.5, "50.0": None},
         "early_stopping_percentiles": {"99.9": None, "50.0": 1e22},
         "histogram": [[[0.5, 1.0], 1], [[1.0, 123456.789], 2]]},
        {"type": "series", "name": "isl \u00b5 \U0001f680", "count": 0, "total": 0, "min": 0, "max": 0,
         "sum_sq": 0, "percentiles": {}, "histogram": []},
     ]}
sys.stdout.write(json.dumps(d, indent=2, allow_nan=False))
`
	s := &Snapshot{Counter: 5, TimestampNs: 123456789012, State: Interrupted, NPendingTasks: 7,
		Counters: []Counter{{"duration_ns", Float(2.5e-7)}, {"big", Num{Big: bigInt("1180591620717411303424")}}},
		Series: []Series{
			{Name: "ttft_ns", Count: 3, Total: Float(1e16), Min: Float(0.0001), Max: Float(math.Copysign(0, -1)), SumSq: Float(math.Inf(1)),
				Percentiles:   []Percentile{{"99.9", 1.5}, {"50.0", math.NaN()}},
				EarlyStopping: []Estimate{{Key: "99.9"}, {Key: "50.0", Value: 1e22, Valid: true}},
				Histogram:     []Bucket{{0.5, 1, 1}, {1, 123456.789, 2}}},
			{Name: "isl \u00b5 \U0001f680", Total: Int(0), Min: Int(0), Max: Int(0), SumSq: Int(0)},
		}}
	want := string(runPython(t, script, nil))
	if got := string(AppendJSON(nil, s)); got != want {
		t.Fatalf("differs from python:\n%s", firstDiff(got, want))
	}
}

// firstDiff describes where two strings first differ, with context.
func firstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(0, i-80)
	return "at byte " + itoa(i) + "\ngot:  ..." + got[lo:min(len(got), i+80)] + "\nwant: ..." + want[lo:min(len(want), i+80)]
}

func itoa(i int) string { return string(appendJSONNum(nil, Int(int64(i)))) }
