package snapshot

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// pythonPath is Debian's interpreter, which has python3-msgpack; the
// cross-checks against real Python run only where it exists.
const pythonPath = "/usr/bin/python3"

// runPython runs script with stdin and returns its stdout. It skips the
// test when the interpreter or one of the modules is unavailable.
func runPython(t *testing.T, script string, stdin []byte, modules ...string) []byte {
	t.Helper()
	if _, err := os.Stat(pythonPath); err != nil {
		t.Skipf("python cross-check skipped: %v", err)
	}
	for _, m := range modules {
		if err := exec.Command(pythonPath, "-c", "import "+m).Run(); err != nil {
			t.Skipf("python cross-check skipped: no module %s: %v", m, err)
		}
	}
	cmd := exec.Command(pythonPath, "-c", script)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.Bytes())
	}
	return out
}

func bigInt(s string) *big.Int {
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("bad big int " + s)
	}
	return b
}

// gridKeys is upstream's default percentile grid as str(float) keys.
var gridKeys = []string{"99.9", "99.0", "97.0", "95.0", "90.0", "80.0", "75.0", "50.0", "25.0", "10.0", "5.0", "1.0"}

// realisticSnapshot is a full-size COMPLETE snapshot: 15 counters and 6
// series, each with 12 percentiles and 30 log-spaced buckets; the three
// latency series carry an early-stopping map with some None estimates.
func realisticSnapshot() *Snapshot {
	s := &Snapshot{Counter: 1234, TimestampNs: 987654321012345, State: Complete, NPendingTasks: 0}
	for i := 0; i < 15; i++ {
		v := Int(int64(i) * 104729)
		if i%5 == 4 {
			v = Float(float64(i) * 1.37)
		}
		s.Counters = append(s.Counters, Counter{Name: fmt.Sprintf("counter_%02d_total", i), Value: v})
	}
	names := []string{"ttft_ns", "tpot_ns", "sample_latency_ns", "isl", "osl", "chunk_delta_ns"}
	for si, name := range names {
		m := Series{Name: name, Count: 50000 + int64(si)}
		lo, hi := 1234.5+float64(si), 9.87654321e9/float64(si+1)
		if si == 1 {
			m.Total, m.Min, m.Max = Float(3.3e12), Float(lo), Float(hi)
		} else {
			m.Total, m.Min, m.Max = Int(int64(3.3e12)+int64(si)), Int(int64(lo)), Int(int64(hi))
		}
		m.SumSq = Float(1.234567e24 * float64(si+1))
		for k, key := range gridKeys {
			m.Percentiles = append(m.Percentiles, Percentile{Key: key, Value: hi / (float64(k) + 1.5)})
		}
		ratio := math.Pow(hi/lo, 1.0/30)
		edge := lo
		for b := 0; b < 30; b++ {
			next := edge * ratio
			m.Histogram = append(m.Histogram, Bucket{Lo: edge, Hi: next, Count: int64(b*b*7 + si)})
			edge = next
		}
		if si < 3 {
			m.EarlyStopping = []Estimate{}
			for k, key := range gridKeys[:len(gridKeys)-4] {
				m.EarlyStopping = append(m.EarlyStopping, Estimate{Key: key, Value: hi / (float64(k) + 1.25), Valid: k > 0})
			}
		}
		s.Series = append(s.Series, m)
	}
	return s
}

// taggedUnionSnapshot is the snapshot of upstream's
// test_tagged_union_dispatch.
func taggedUnionSnapshot() *Snapshot {
	return &Snapshot{
		Counter: 2, TimestampNs: 42, State: Complete, NPendingTasks: 3,
		Counters: []Counter{{Name: "c1", Value: Int(10)}},
		Series: []Series{{
			Name: "s1", Count: 1, Total: Int(10), Min: Int(10), Max: Int(10), SumSq: Int(100),
			Percentiles: []Percentile{{"50", 10.0}},
			Histogram:   []Bucket{{Lo: 1.0, Hi: 10.0, Count: 1}},
		}},
	}
}

// fixtures are snapshots covering every encoding branch: empty containers,
// int/float identity, big ints, integer size classes, string size classes,
// non-ASCII names, non-finite floats, early-stopping maps with None, and
// containers past the fix-size limits.
func fixtures() []struct {
	name string
	snap *Snapshot
} {
	manyPct := Series{Name: "many", Count: 3, Total: Int(-5), Min: Int(-300), Max: Int(200), SumSq: Float(0)}
	for i := 0; i < 17; i++ {
		manyPct.Percentiles = append(manyPct.Percentiles, Percentile{Key: FormatPyFloat(float64(i) * 6.25), Value: float64(i) * 1e-5})
	}
	for i := 0; i < 20; i++ {
		manyPct.Histogram = append(manyPct.Histogram, Bucket{Lo: float64(i), Hi: float64(i + 1), Count: int64(i) << (3 * i % 62)})
	}
	manyPct.EarlyStopping = []Estimate{}
	for i := 0; i < 16; i++ {
		manyPct.EarlyStopping = append(manyPct.EarlyStopping, Estimate{Key: fmt.Sprint(i), Value: float64(i) / 3, Valid: i%3 != 0})
	}
	return []struct {
		name string
		snap *Snapshot
	}{
		{"empty_metrics", &Snapshot{Counter: 1, TimestampNs: 1234, State: Live}},
		{"initialize", &Snapshot{Counter: 1, TimestampNs: 1, State: Initialize}},
		{"tagged_union", taggedUnionSnapshot()},
		{"counters", &Snapshot{
			Counter: 7, TimestampNs: math.MaxInt64, State: Draining, NPendingTasks: 65536,
			Counters: []Counter{
				{"total_samples_issued", Int(42)},
				{"duration_s", Float(3.14)},
				{"neg", Int(-33)},
				{"neg8", Int(-128)},
				{"neg16", Int(-32769)},
				{"neg64", Int(math.MinInt64)},
				{"u8", Int(255)},
				{"u16", Int(65535)},
				{"u32", Int(4294967295)},
				{"u64", Int(4294967296)},
				{"big_uint64", Num{Big: bigInt("18446744073709551615")}},
				{"float_int_valued", Float(3.0)},
				{"neg_zero", Float(math.Copysign(0, -1))},
				{"tiny", Float(5e-324)},
				{"huge", Float(math.MaxFloat64)},
			},
		}},
		{"empty_series", &Snapshot{
			Counter: 3, TimestampNs: 99, State: Live,
			Series: []Series{
				{Name: "ttft_ns", Total: Int(0), Min: Int(0), Max: Int(0), SumSq: Int(0),
					Percentiles: []Percentile{{"99.9", 0}, {"50.0", 0}}},
				{Name: "tpot_ns", Total: Float(0), Min: Float(0), Max: Float(0), SumSq: Float(0)},
			},
		}},
		{"int_and_float_series", &Snapshot{
			Counter: 10, TimestampNs: 1700000000123456789, State: Complete, NPendingTasks: 2,
			Series: []Series{
				{Name: "ttft_ns", Count: 5, Total: Int(500), Min: Int(50), Max: Int(150), SumSq: Int(55000),
					Percentiles: []Percentile{{"50", 100.0}, {"99", 145.0}},
					Histogram:   []Bucket{{50.0, 100.0, 2}, {100.0, 150.0, 3}}},
				// Float exceeding uint64 max (upstream test_roundtrip parameter).
				{Name: "tpot_ns", Count: 2, Total: Float(0.30000000000000004), Min: Float(1e-7), Max: Float(1e16), SumSq: Float(2.0 * (1<<64 - 1)),
					Percentiles:   []Percentile{{"50.0", 1.5e-5}, {"90.0", 12345678.9}},
					Histogram:     []Bucket{{1e-7, 1e-6, 1}, {1e-6, 1e16, 1}},
					EarlyStopping: []Estimate{{Key: "50.0", Value: 0.25, Valid: true}, {Key: "90.0"}}},
				{Name: "isl", Count: 1, Total: Num{Big: bigInt("123456789012345678901234567890")}, Min: Int(1), Max: Int(1), SumSq: Float(1),
					EarlyStopping: []Estimate{}},
			},
		}},
		{"nonfinite", &Snapshot{
			Counter: 1, State: Interrupted,
			Counters: []Counter{{"nan_counter", Float(math.NaN())}, {"inf_counter", Float(math.Inf(-1))}},
			Series: []Series{{Name: "ttft_ns", Count: 1, Total: Float(0), Min: Float(math.Inf(1)), Max: Float(math.Inf(-1)), SumSq: Float(math.NaN()),
				Percentiles:   []Percentile{{"50.0", math.NaN()}, {"90.0", math.Inf(1)}, {"99.0", math.Inf(-1)}},
				Histogram:     []Bucket{{math.NaN(), math.Inf(1), 4}},
				EarlyStopping: []Estimate{{Key: "50.0", Value: math.NaN(), Valid: true}}}},
		}},
		{"strings", &Snapshot{
			Counter: 1, State: Live,
			Counters: []Counter{
				{"", Int(0)},
				{strings.Repeat("a", 31), Int(1)},
				{strings.Repeat("b", 32), Int(2)},
				{strings.Repeat("c", 255), Int(3)},
				{strings.Repeat("d", 256), Int(4)},
				{strings.Repeat("e", 65536), Int(5)},
				{"quote\" back\\ nl\n cr\r tab\t bs\b ff\f nul\x00 us\x1f del\x7f", Int(6)},
				{"caf\u00e9 \u20ac \u4e2d \U0001F600 \U0010FFFF", Int(7)},
			},
		}},
		{"large_containers", &Snapshot{Counter: 300, State: Complete, Series: []Series{manyPct}}},
		{"realistic", realisticSnapshot()},
	}
}
