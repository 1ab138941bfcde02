package metrics

import (
	"math"
	"math/big"
	"math/bits"
)

// int128 is a signed 128-bit two's-complement accumulator for the exact
// total of an int series. Python sums ints exactly; with up to 2^63 samples
// of |v| <= 2^63 the sum stays within 2^126, so 128 bits never overflow.
type int128 struct {
	hi int64
	lo uint64
}

// add adds v (sign-extended to 128 bits).
func (a *int128) add(v int64) {
	var carry uint64
	a.lo, carry = bits.Add64(a.lo, uint64(v), 0)
	a.hi += int64(carry) + v>>63
}

// fitsInt64 reports whether the value is representable as an int64.
func (a int128) fitsInt64() bool { return a.hi == int64(a.lo)>>63 }

// big returns the value as a big.Int.
func (a int128) big() *big.Int {
	neg := a.hi < 0
	hi, lo := uint64(a.hi), a.lo
	if neg { // two's-complement negate to get the magnitude
		lo = ^lo + 1
		hi = ^hi
		if lo == 0 {
			hi++
		}
	}
	z := new(big.Int).SetUint64(hi)
	z.Lsh(z, 64)
	z.Or(z, new(big.Int).SetUint64(lo))
	if neg {
		z.Neg(z)
	}
	return z
}

// uint192 is an unsigned 192-bit accumulator for the exact sum of squares of
// an int series: v*v needs up to 126 bits and the sum of up to 2^63 of them
// up to 189 bits. Squares of nanosecond latencies overflow int64 within a
// few samples of 3e9 ns and their sum overflows 64 bits within 100k samples.
type uint192 struct{ w2, w1, w0 uint64 }

// addSquare adds v*v exactly.
func (a *uint192) addSquare(v int64) {
	m := uint64(v)
	if v < 0 {
		m = -m // magnitude; correct for math.MinInt64 too (2^63)
	}
	hi, lo := bits.Mul64(m, m)
	var c uint64
	a.w0, c = bits.Add64(a.w0, lo, 0)
	a.w1, c = bits.Add64(a.w1, hi, c)
	a.w2 += c
}

// float64 returns the value correctly rounded to float64 (round half to
// even), which is what Python's float(int) does.
func (a uint192) float64() float64 {
	switch {
	case a.w2 == 0 && a.w1 == 0:
		return float64(a.w0) // Go's uint64->float64 conversion rounds correctly
	case a.w2 == 0:
		return roundTop(a.w1, a.w0, 0, 64)
	default:
		return roundTop(a.w2, a.w1, a.w0, 128)
	}
}

// roundTop rounds the number top·2^shift + (mid, low below it) to float64:
// the leading 64 significant bits are converted with Go's correctly rounded
// uint64 conversion, with every bit below them folded into a sticky lsb so a
// tie is only broken to even when the discarded tail is exactly zero.
func roundTop(top, mid, low uint64, shift int) float64 {
	n := bits.LeadingZeros64(top) // top != 0
	m := top << uint(n)
	if n > 0 {
		m |= mid >> uint(64-n)
	}
	rest := mid<<uint(n) | low
	if n == 0 {
		rest = mid | low
	}
	if rest != 0 {
		m |= 1
	}
	return math.Ldexp(float64(m), shift-n)
}
