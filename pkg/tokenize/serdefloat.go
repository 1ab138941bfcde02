package tokenize

import (
	"errors"
	"math"
	"strconv"
)

// pow10 holds 1e0 … 1e308, each correctly rounded (as Rust's literals are).
var pow10 = func() (t [309]float64) {
	for i := range t {
		t[i], _ = strconv.ParseFloat("1e"+strconv.Itoa(i), 64)
	}
	return t
}()

var errNumber = errors.New("invalid number")

// parseSerdeFloat reads a JSON number the way serde_json (without its
// float_roundtrip feature, as the HF library builds it) turns it into an
// f64: the decimal digits are gathered into a u64 (digits past u64 are
// dropped), converted to f64, then multiplied or divided once by a power
// of ten. This is not always the correctly rounded value that
// strconv.ParseFloat gives (a 16-17 digit score can land one ulp away),
// and Unigram's Viterbi compares sums of these scores, so the same bits
// matter for ties.
func parseSerdeFloat(b []byte) (float64, error) {
	i := 0
	positive := true
	if i < len(b) && b[i] == '-' {
		positive = false
		i++
	}
	if i >= len(b) || b[i] < '0' || b[i] > '9' {
		return 0, errNumber
	}
	const maxU64 = math.MaxUint64
	overflows := func(sig uint64, digit byte) bool {
		d := uint64(digit - '0')
		return sig >= maxU64/10 && (sig > maxU64/10 || d > maxU64%10)
	}
	var sig uint64
	exp := int64(0)
	isFloat := false
	if b[i] == '0' {
		i++
		if i < len(b) && b[i] >= '0' && b[i] <= '9' {
			return 0, errNumber
		}
	} else {
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if overflows(sig, b[i]) {
				// parse_long_integer: the remaining integer digits only
				// scale.
				isFloat = true
				for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
					exp++
				}
				break
			}
			sig = sig*10 + uint64(b[i]-'0')
		}
	}
	if i < len(b) && b[i] == '.' {
		isFloat = true
		i++
		start := i
		dropping := false
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if dropping {
				continue
			}
			if overflows(sig, b[i]) {
				dropping = true // parse_decimal_overflow: ignore further digits
				continue
			}
			sig = sig*10 + uint64(b[i]-'0')
			exp--
		}
		if i == start {
			return 0, errNumber
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isFloat = true
		i++
		posExp := true
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			posExp = b[i] == '+'
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return 0, errNumber
		}
		e := int64(0)
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			e = e*10 + int64(b[i]-'0')
			if e > math.MaxInt32 {
				// parse_exponent_overflow
				if sig != 0 && posExp {
					return 0, errors.New("number out of range")
				}
				for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
				}
				if i != len(b) {
					return 0, errNumber
				}
				if positive {
					return 0, nil
				}
				return math.Copysign(0, -1), nil
			}
		}
		if posExp {
			exp += e
		} else {
			exp -= e
		}
		exp = max(min(exp, math.MaxInt32), math.MinInt32) // saturating, as i32
	}
	if i != len(b) {
		return 0, errNumber
	}
	f := float64(sig)
	if isFloat {
		for {
			a := exp
			if a < 0 {
				a = -a
			}
			if a < int64(len(pow10)) {
				if exp >= 0 {
					f *= pow10[a]
					if math.IsInf(f, 0) {
						return 0, errors.New("number out of range")
					}
				} else {
					f /= pow10[a]
				}
				break
			}
			if f == 0 {
				break
			}
			if exp >= 0 {
				return 0, errors.New("number out of range")
			}
			f /= 1e308
			exp += 308
		}
	}
	if !positive {
		f = -f
	}
	return f, nil
}
