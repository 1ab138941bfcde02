package pretok

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/mlperf-tools/aggregator/internal/tokoracle"
)

// scannedPatterns lists every pattern with a scanner, in a fixed order.
func scannedPatterns() []string {
	ps := make([]string, 0, len(scanners))
	for p := range scanners {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

// boundaryRunes are runes on the class boundaries the patterns test.
var boundaryRunes = []rune(
	// contractions and ASCII
	"'''''sStTrReEvVmMlLdDſK\u212a\u0130xyzXYZaA09" +
		"!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~" +
		// every \s rune, and look-alikes that are not \s
		"   \t\n\r\r\n\n\v\f\u0085\u00a0\u1680\u2000\u2001\u2005\u200a\u2028\u2029\u202f\u205f\u3000" +
		"\x00\x1c\x1d\x1e\x1f\x7f\u0080\u200b\u200c\u200d\u2060\ufeff\u180e" +
		// letters of every category: Lu, Ll, Lt, Lm, Lo
		"ÀÉΣÅԱǄ\u1e9eéßσςαǆ\u01c5\u1f88\u01f2\u02b0\u02c6\u3005\u30fc\uff70\u1d2c中あアאกꀀ\U00020000\U0001d400" +
		// marks: Mn, Mc, Me, variation selectors
		"\u0301\u0308\u0903\u093f\u20dd\u20e3\ufe0f\u0f7f\U000e0100" +
		// numbers: Nd, Nl, No
		"٣९\U0001d7d8\uff11Ⅻ\u3007\u2160²½①\U00010107" +
		// punctuation and symbols
		"«»—–、。・¿¡€©®°±×÷\u00b4\u02c2\u2191\u2764\U0001f600\U0001f44d\U0001f3fd\U0001f468\ufffd\u2028" +
		// the DeepSeek CJK ranges' edges
		"\u4dff\u4e00\u4e01\u9fa5\u9fa6\u9fff\u303f\u3040\u3041\u309f\u30a0\u30a1\u30ff\u3100\uac00" +
		// private use, unassigned, last rune
		"\ue000\u0378\U0010ffff")

// snippets are multi-rune pieces that exercise alternatives together.
var snippets = []string{
	"'s", "'S", "'t", "'re", "'RE", "'rE", "'ve", "'Ve", "'m", "'ll", "'LL", "'lL", "'d", "'D", "'ſ", "'\u212a",
	"\r\n", " \n", "\n\n", " \t", "  ", "   ", "\t\t", "\u3000\n", " \r\n ",
	"Hello", "WORLD", "iPhone", "McDonald", "ǅemal", "x\u0301y", "e\u0301", "A\u0301B", "\u0301\u0301",
	"123", "12345", "٣٣٣٣", "3.14", "//", "/\n", "\n/", "!!", "...", " ...", "```go\n",
	"👨\u200d👩\u200d👧", "👍🏽", "🇺🇸", "中文字", "ひらがな", "カタカナー", "한국어",
	"\xff", "\xc5", "\xe4\xb8", "\xed\xa0\x80", "\xc5\xbf", "\xf0\x9f\x98",
}

// categoryTables feeds random runes of each category to the generator.
var categoryTables = []*unicode.RangeTable{
	unicode.Lu, unicode.Ll, unicode.Lt, unicode.Lm, unicode.Lo, unicode.Mn, unicode.Mc, unicode.Me,
	unicode.Nd, unicode.Nl, unicode.No, unicode.P, unicode.S, unicode.Z, unicode.Cc, unicode.Cf,
}

func randomRuneOf(rng *rand.Rand, rt *unicode.RangeTable) rune {
	n16, n32 := len(rt.R16), len(rt.R32)
	i := rng.IntN(n16 + n32)
	var lo, hi, stride uint32
	if i < n16 {
		r := rt.R16[i]
		lo, hi, stride = uint32(r.Lo), uint32(r.Hi), uint32(r.Stride)
	} else {
		r := rt.R32[i-n16]
		lo, hi, stride = r.Lo, r.Hi, r.Stride
	}
	return rune(lo + stride*uint32(rng.IntN(int((hi-lo)/stride)+1)))
}

// hfOverridden reports whether r is one of the runes whose class in the HF
// library differs from Go's (and so regexp2's): Unicode 17.0 additions and changes.
func hfOverridden(r rune) bool {
	for _, o := range hfOverrides {
		if r >= o.lo && r <= o.hi {
			return true
		}
	}
	return false
}

func randomOverridden(rng *rand.Rand) rune {
	o := hfOverrides[rng.IntN(len(hfOverrides))]
	return o.lo + rune(rng.IntN(int(o.hi-o.lo)+1))
}

// randomText returns a short string biased to the class boundaries. With
// newRunes set it also draws runes whose class HF and Go disagree on.
func randomText(rng *rand.Rand, newRunes bool) string {
	var b strings.Builder
	n := rng.IntN(16)
	for range n {
		var r rune
		switch k := rng.IntN(21); {
		case k < 11:
			r = boundaryRunes[rng.IntN(len(boundaryRunes))]
		case k < 15:
			b.WriteString(snippets[rng.IntN(len(snippets))])
			continue
		case k < 17:
			r = randomRuneOf(rng, categoryTables[rng.IntN(len(categoryTables))])
		case k < 18:
			r = rune(rng.IntN(0x80))
		case k < 19:
			b.WriteByte(byte(0x80 + rng.IntN(0x80))) // a stray byte
			continue
		case k < 20:
			r = rune(rng.IntN(0x110000))
		default:
			if newRunes {
				r = randomOverridden(rng)
			}
		}
		if !newRunes && hfOverridden(r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// hasOverridden reports whether s holds a rune HF and Go classify apart.
func hasOverridden(s string) bool {
	for _, r := range s {
		if r >= 0x897 && hfOverridden(r) {
			return true
		}
	}
	return false
}

// checkSame compares the scanner for pattern with the regexp2 reference.
func checkSame(t testing.TB, pattern string, scan, ref Matcher, s string, got, want []int) ([]int, []int) {
	var err error
	got, err = scan.AppendMatches(got[:0], s)
	if err != nil {
		t.Fatalf("scanner: %v", err)
	}
	want, err = ref.AppendMatches(want[:0], s)
	if err != nil {
		t.Fatalf("regexp2: %v", err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pattern %q\ntext %+q\nscanner %v\nregexp2 %v", pattern, s, pieces(s, got), pieces(s, want))
	}
	return got, want
}

func pieces(s string, m []int) string {
	var b strings.Builder
	for i := 0; i < len(m); i += 2 {
		fmt.Fprintf(&b, "%+q ", s[m[i]:m[i+1]])
	}
	return b.String()
}

func mustMatchers(t testing.TB, pattern string) (scan, ref Matcher) {
	scan, err := Compile(pattern)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := scan.(*regexpMatcher); ok {
		t.Fatalf("no scanner for %q", pattern)
	}
	ref, err = CompileRegexp(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return scan, ref
}

func TestScannerVsRegexp(t *testing.T) {
	tokoracle.Differential(t)
	n := 100000
	if testing.Short() {
		n = 10000
	}
	for i, pattern := range scannedPatterns() {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			scan, ref := mustMatchers(t, pattern)
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			var got, want []int
			for range n {
				got, want = checkSame(t, pattern, scan, ref, randomText(rng, false), got, want)
			}
			// Longer texts: runs of one class, and concatenations.
			for range n / 20 {
				var b strings.Builder
				for range 1 + rng.IntN(40) {
					b.WriteString(randomText(rng, false))
				}
				got, want = checkSame(t, pattern, scan, ref, b.String(), got, want)
			}
			checkSame(t, pattern, scan, ref, benchText, got, want)
			t.Logf("%q: %d texts equal", pattern, n+n/20+1)
		})
	}
}

func FuzzScannerVsRegexp(f *testing.F) {
	for _, s := range append(snippets, "Hello, world! I'm here.\n\n  x", "don'T  \t\n\nWe'LL 12345 中文 ǅx\u0301", benchText[:200]) {
		for i := range len(scanners) {
			f.Add(uint8(i), s)
		}
	}
	patterns := scannedPatterns()
	matchers := make([][2]Matcher, len(patterns))
	for i, p := range patterns {
		matchers[i][0], matchers[i][1] = mustMatchers(f, p)
	}
	f.Fuzz(func(t *testing.T, which uint8, s string) {
		if hasOverridden(s) {
			t.Skip("regexp2 uses Go's older Unicode tables")
		}
		i := int(which) % len(patterns)
		checkSame(t, patterns[i], matchers[i][0], matchers[i][1], s, nil, nil)
	})
}
