package metrics

import "math"

// pyLgamma returns log|Γ(x)| for x > 0 computed the way CPython's
// math.lgamma does: CPython does not call the C library's lgamma but its own
// Lanczos approximation (g ≈ 6.0247, 13 terms, the Boost coefficients), with
// the C library's log. The early-stopping beta function subtracts lgamma
// values of order 1e7, so ulp differences between implementations would be
// amplified; evaluating the same formula in the same order keeps the
// estimates identical to upstream's. Only x > 0 is needed (beta arguments
// are positive), so the reflection branch is omitted: non-positive x
// returns +Inf.
func pyLgamma(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return x
	case math.IsInf(x, 0):
		return math.Inf(1)
	case x <= 0:
		return math.Inf(1)
	case x == math.Floor(x) && x <= 2:
		return 0 // lgamma(1) = lgamma(2) = 0 exactly
	case x < 1e-20:
		return -libmLog(x)
	}
	r := libmLog(lanczosSum(x)) - lanczosG
	r += float64((x - 0.5) * (libmLog(x+lanczosG-0.5) - 1))
	return r
}

// lanczosG is the Lanczos g parameter of CPython's lgamma.
const lanczosG = 6.024680040776729583740234375

// lanczosNum and lanczosDen are the numerator and denominator coefficients
// of the Lanczos rational function (the denominator is x(x+1)...(x+11)).
var (
	lanczosNum = [13]float64{
		23531376880.410759688572007674451636754734846804940,
		42919803642.649098768957899047001988850926355848959,
		35711959237.355668049440185451547166705960488635843,
		17921034426.037209699919755754458931112671403265390,
		6039542586.3520280050642916443072979210699388420708,
		1439720407.3117216736632230727949123939715485786772,
		248874557.86205415651146038641322942321632125127801,
		31426415.585400194380614231628318205362874684987640,
		2876370.6289353724412254090516208496135991145378768,
		186056.26539522349504029498971604569928220784236328,
		8071.6720023658162106380029022722506138218516325024,
		210.82427775157934587250973392071336271166969580291,
		2.5066282746310002701649081771338373386264310793408,
	}
	lanczosDen = [13]float64{
		0.0, 39916800.0, 120543840.0, 150917976.0, 105258076.0, 45995730.0,
		13339535.0, 2637558.0, 357423.0, 32670.0, 1925.0, 66.0, 1.0,
	}
)

// lanczosSum evaluates the Lanczos rational function at x > 0: by Horner in
// x below 5, and in 1/x above (avoids overflow, as CPython does).
func lanczosSum(x float64) float64 {
	var num, den float64
	if x < 5.0 {
		for i := len(lanczosNum) - 1; i >= 0; i-- {
			num = float64(num*x) + lanczosNum[i]
			den = float64(den*x) + lanczosDen[i]
		}
	} else {
		for i := range lanczosNum {
			num = num/x + lanczosNum[i]
			den = den/x + lanczosDen[i]
		}
	}
	return num / den
}
