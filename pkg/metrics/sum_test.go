package metrics

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestInt128MatchesBig accumulates random signed values (including extremes
// that overflow int64 and negative totals) and compares with big.Int.
func TestInt128MatchesBig(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cases := [][]int64{
		{},
		{1, 2, 3},
		{math.MaxInt64, math.MaxInt64, math.MaxInt64},
		{math.MinInt64, math.MinInt64, 1},
		{math.MaxInt64, 1, math.MinInt64, -1},
		{-5, 3},
	}
	var random []int64
	for i := 0; i < 10000; i++ {
		random = append(random, int64(rng.Uint64()))
	}
	cases = append(cases, random)
	for ci, vs := range cases {
		var a int128
		want := new(big.Int)
		for _, v := range vs {
			a.add(v)
			want.Add(want, big.NewInt(v))
		}
		if got := a.big(); got.Cmp(want) != 0 {
			t.Errorf("case %d: sum = %v, want %v", ci, got, want)
		}
		if a.fitsInt64() != want.IsInt64() {
			t.Errorf("case %d: fitsInt64 = %v, want %v", ci, a.fitsInt64(), want.IsInt64())
		}
		if a.fitsInt64() && int64(a.lo) != want.Int64() {
			t.Errorf("case %d: int64 = %d, want %v", ci, int64(a.lo), want)
		}
	}
}

// TestUint192SquaresRoundLikePython checks the exact sum of squares and its
// round-half-even conversion to float64 against big.Float (whose Float64
// rounds to nearest even, as Python's float(int) does), including sums built
// to sit exactly on a rounding tie.
func TestUint192SquaresRoundLikePython(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	check := func(name string, vs []int64) {
		t.Helper()
		var a uint192
		want := new(big.Int)
		for _, v := range vs {
			a.addSquare(v)
			b := big.NewInt(v)
			want.Add(want, b.Mul(b, b))
		}
		got := new(big.Int).SetUint64(a.w2)
		got.Lsh(got, 64).Or(got, new(big.Int).SetUint64(a.w1))
		got.Lsh(got, 64).Or(got, new(big.Int).SetUint64(a.w0))
		if got.Cmp(want) != 0 {
			t.Fatalf("%s: exact sum = %v, want %v", name, got, want)
		}
		wf, _ := new(big.Float).SetInt(want).Float64()
		if f := a.float64(); f != wf {
			t.Errorf("%s: float = %v, want %v", name, f, wf)
		}
	}
	check("empty", nil)
	check("small", []int64{10, 20, 30, 40, 50})
	check("min-int", []int64{math.MinInt64, math.MinInt64, math.MinInt64, math.MinInt64})
	ns := make([]int64, 100000)
	for i := range ns {
		ns[i] = 3_000_000_000 + rng.Int64N(1e9) // ns latencies: sum passes 2^63
	}
	check("ns-latencies", ns)
	for i := 0; i < 2000; i++ {
		vs := make([]int64, 1+rng.IntN(4))
		for j := range vs {
			vs[j] = int64(rng.Uint64() >> uint(rng.IntN(64)))
		}
		check("random", vs)
	}
	// Exact ties built directly: 2^70 + 2^17 sits halfway between two
	// float64 neighbours (their spacing at 2^70 is 2^18).
	tie := func(hi, lo uint64) {
		a := uint192{w1: hi, w0: lo}
		want := new(big.Int).SetUint64(hi)
		want.Lsh(want, 64).Or(want, new(big.Int).SetUint64(lo))
		wf, _ := new(big.Float).SetInt(want).Float64()
		if f := a.float64(); f != wf {
			t.Errorf("tie %x:%x: float = %v, want %v", hi, lo, f, wf)
		}
	}
	tie(1<<6, 1<<17)           // exact tie, even mantissa: round down
	tie(1<<6, 3<<17)           // tie with odd mantissa: round up
	tie(1<<6, 1<<17|1)         // just above the tie: round up
	tie(1<<6, 1<<17-1)         // just below: round down
	tie(1<<63, 1<<10)          // tie from the low word into a full high word
	tie(1<<63|1<<11, 1<<10)    // odd: up
	tie(math.MaxUint64, 1<<63) // carries to 2^128
	// A 192-bit value with bits below the 53-bit window in every word.
	b := uint192{w2: 1, w1: 1 << 52, w0: 0}
	wb := new(big.Int).SetUint64(1)
	wb.Lsh(wb, 64).Or(wb, new(big.Int).SetUint64(1<<52)).Lsh(wb, 64)
	wf, _ := new(big.Float).SetInt(wb).Float64()
	if f := b.float64(); f != wf {
		t.Errorf("192-bit tie: %v, want %v", f, wf)
	}
}
