//go:build cgo

package metrics

/*
#cgo LDFLAGS: -lm
#include <math.h>
*/
import "C"

// libmExp returns the C library's exp(x).
//
// Upstream computes histogram edges (and the early-stopping beta function)
// with Python's math.exp/math.log, which call the platform libm (glibc)
// directly. Go's math.Exp/math.Log are independent implementations that may
// differ from glibc by an ulp; an integer sample sitting exactly on an edge
// (800 vs 799.9999999999999) would then fall into a different bucket than
// upstream puts it. Calling glibc through cgo reproduces upstream bit for bit.
// The call costs tens of nanoseconds and runs only O(buckets) times per
// snapshot.
func libmExp(x float64) float64 { return float64(C.exp(C.double(x))) }

// libmLog returns the C library's log(x); see libmExp for why.
func libmLog(x float64) float64 { return float64(C.log(C.double(x))) }

// libmIsC reports whether libmExp/libmLog are the C library's (true with cgo).
const libmIsC = true
