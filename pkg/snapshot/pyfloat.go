package snapshot

import (
	"math"
	"strconv"
)

// AppendPyFloat appends f formatted exactly as Python's float.__repr__ (and
// so str(f) and json.dumps): the shortest digits that round-trip, in fixed
// notation with at least one fractional digit ("3.0", "0.0001", "-0.0")
// when the decimal exponent is in [-4, 16), otherwise in scientific notation
// with a signed exponent of at least two digits ("1e+16", "1.5e-05").
// Non-finite values print as Python does: "nan", "inf", "-inf".
//
// It exists because final_snapshot.json and the percentile keys ("99.9")
// must match upstream byte for byte, and Go's 'g' format switches notation
// at different thresholds.
func AppendPyFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	// Shortest round-trip digits in scientific form: [-]d[.ddd]e±XX.
	var tmp [32]byte
	sci := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64)
	body := sci
	if body[0] == '-' {
		body = body[1:]
	}
	ePos := len(body) - 1
	for body[ePos] != 'e' {
		ePos--
	}
	exp := 0
	for _, c := range body[ePos+2:] {
		exp = exp*10 + int(c-'0')
	}
	if body[ePos+1] == '-' {
		exp = -exp
	}
	// Python (format_float_short, repr mode) uses scientific notation when
	// the decimal point position decpt = exp+1 is <= -4 or > 16.
	if exp < -4 || exp >= 16 {
		// Go's 'e' output already has Python's shape: mantissa without a
		// trailing ".0", exponent signed and at least two digits.
		return append(dst, sci...)
	}
	if f < 0 || (f == 0 && math.Signbit(f)) {
		dst = append(dst, '-')
	}
	// Collect the significant digits (drop the '.').
	var digs [24]byte
	nd := 0
	for _, c := range body[:ePos] {
		if c != '.' {
			digs[nd] = c
			nd++
		}
	}
	decpt := exp + 1
	switch {
	case decpt <= 0:
		dst = append(dst, '0', '.')
		for i := 0; i < -decpt; i++ {
			dst = append(dst, '0')
		}
		dst = append(dst, digs[:nd]...)
	case decpt >= nd:
		dst = append(dst, digs[:nd]...)
		for i := nd; i < decpt; i++ {
			dst = append(dst, '0')
		}
		dst = append(dst, '.', '0')
	default:
		dst = append(dst, digs[:decpt]...)
		dst = append(dst, '.')
		dst = append(dst, digs[decpt:nd]...)
	}
	return dst
}

// FormatPyFloat returns f formatted as Python's repr(f); see AppendPyFloat.
// Use it for percentile map keys, which upstream builds with str(p).
func FormatPyFloat(f float64) string {
	var buf [32]byte
	return string(AppendPyFloat(buf[:0], f))
}
