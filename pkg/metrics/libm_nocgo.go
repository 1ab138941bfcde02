//go:build !cgo

package metrics

import "math"

// libmExp is the pure-Go fallback for builds without cgo. It may differ from
// glibc's exp (which upstream Python uses) by an ulp, so a value sitting
// exactly on a histogram edge can land in a neighbouring bucket; build with
// cgo for bit-exact parity. See libm_cgo.go.
func libmExp(x float64) float64 { return math.Exp(x) }

// libmLog is the pure-Go fallback for log; see libmExp.
func libmLog(x float64) float64 { return math.Log(x) }

// libmIsC reports whether libmExp/libmLog are the C library's (false here).
const libmIsC = false
