package snapshot

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestAppendPyFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1, "1.0"},
		{3, "3.0"},
		{-2.5, "-2.5"},
		{0.1, "0.1"},
		{0.30000000000000004, "0.30000000000000004"},
		{100, "100.0"},
		{99.9, "99.9"},
		{12345678.9, "12345678.9"},
		{1e15, "1000000000000000.0"},
		{9999999999999998, "9999999999999998.0"},
		{1e16, "1e+16"},
		{1.5e16, "1.5e+16"},
		{-2.5e20, "-2.5e+20"},
		{1e22, "1e+22"},
		{1e100, "1e+100"},
		{2.0 * (1<<64 - 1), "3.6893488147419103e+19"},
		{0.0001, "0.0001"},
		{0.00012345, "0.00012345"},
		{0.0000999, "9.99e-05"},
		{1e-5, "1e-05"},
		{1.5e-5, "1.5e-05"},
		{1e-7, "1e-07"},
		{5e-324, "5e-324"},
		{2.2250738585072014e-308, "2.2250738585072014e-308"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{-math.MaxFloat64, "-1.7976931348623157e+308"},
		{math.NaN(), "nan"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
	}
	for _, tt := range tests {
		if got := string(AppendPyFloat([]byte("x"), tt.in)); got != "x"+tt.want {
			t.Errorf("AppendPyFloat(%v) = %q, want %q", tt.in, got[1:], tt.want)
		}
		if got := FormatPyFloat(tt.in); got != tt.want {
			t.Errorf("FormatPyFloat(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAppendPyFloatNoAllocs(t *testing.T) {
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() { buf = AppendPyFloat(buf[:0], 1.2345678901234567e-300) })
	if allocs != 0 {
		t.Fatalf("%v allocs/op, want 0", allocs)
	}
}

// pyFloatCases returns the doubles compared with Python's repr: edge values,
// both sides of the notation boundaries, subnormals, integers, "round"
// decimals and uniformly random bit patterns.
func pyFloatCases() []float64 {
	xs := []float64{
		0, math.Copysign(0, -1), 1, -1, 3, 0.5, 0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 100, 1e15, 1e16, 1e17, 1e21, 1e22, 1e23,
		1e-4, 1e-5, 9.999999999999999e-5, 0.00010000000000000002, 9999999999999998, 9999999999999999, 1.2345e16,
		5e-324, 1e-323, 2.225073858507201e-308, 2.2250738585072014e-308, math.MaxFloat64, math.SmallestNonzeroFloat64,
		1 << 53, 1<<53 + 2, 1 << 63, 1 << 64, 123456789012345678, 0.1 + 0.2, math.Pi, math.E, 1e300 * 1e8,
		math.NaN(), math.Inf(1), math.Inf(-1),
	}
	for _, b := range []float64{1e16, 1e-4, 1e-5, 1e15, 1, 0.001} {
		lo, hi := b, b
		for i := 0; i < 5; i++ {
			lo, hi = math.Nextafter(lo, 0), math.Nextafter(hi, math.Inf(1))
			xs = append(xs, lo, hi, -lo, -hi)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		xs = append(xs, math.Float64frombits(r.Uint64()))                          // any double
		xs = append(xs, math.Float64frombits(r.Uint64N(1<<52)))                    // subnormal
		xs = append(xs, float64(r.Int64N(1<<60))/math.Pow10(r.IntN(25)))           // decimal-ish
		xs = append(xs, (r.Float64()-0.5)*math.Pow(10, float64(r.IntN(44)-22)))    // around the boundaries
		xs = append(xs, float64(r.Int64N(1<<53))*math.Pow(2, float64(r.IntN(20)))) // integers
	}
	return xs
}

// TestAppendPyFloatAgainstPython compares every case with repr() of the same
// double in real Python (bits passed as hex, so nothing is re-parsed).
func TestAppendPyFloatAgainstPython(t *testing.T) {
	xs := pyFloatCases()
	var in bytes.Buffer
	for _, x := range xs {
		in.WriteString(strconv.FormatUint(math.Float64bits(x), 16))
		in.WriteByte('\n')
	}
	const script = `
import struct, sys
out = []
for line in sys.stdin:
    out.append(repr(struct.unpack("<d", struct.pack("<Q", int(line, 16)))[0]))
sys.stdout.write("\n".join(out) + "\n")
`
	lines := strings.Split(strings.TrimSuffix(string(runPython(t, script, in.Bytes())), "\n"), "\n")
	if len(lines) != len(xs) {
		t.Fatalf("python returned %d lines for %d floats", len(lines), len(xs))
	}
	bad := 0
	for i, x := range xs {
		if got := FormatPyFloat(x); got != lines[i] {
			if bad++; bad <= 20 {
				t.Errorf("bits %016x: got %q, python %q", math.Float64bits(x), got, lines[i])
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d floats differ from Python repr", bad, len(xs))
	}
	t.Logf("%d floats match Python repr", len(xs))
}
