package tokenize

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"go/format"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mlperf-tools/aggregator/internal/tokoracle"
)

// The library's grapheme cluster properties are read off its Precompiled
// normalizer with graphemeCharsmap, which shows where clusters of fewer
// than 6 bytes begin and end. Each probe puts r next to characters whose
// properties are fixed and asks about one boundary; a trailing U+0300
// (Extend) after the boundary makes it visible whatever r's length: the
// cluster that starts there is short and holds two characters. A
// boundary before r shows through a leading Prepend (U+0600, 2 bytes),
// which makes the cluster that ends there short.

// A graphemeProbe asks about the boundary after character gap (0-based)
// of prefix+r+suffix.
type graphemeProbe struct {
	prefix, suffix string
	gap            int
}

const (
	gpAfterA       = iota // "a"+r: r extends a cluster (Extend, ZWJ, SpacingMark)
	gpBeforeA             // r+"a": r is Prepend
	gpBeforeExtend        // r+U+0300: r is not a control
	gpPictStart           // r+ZWJ+"©": r is Extended_Pictographic
	gpPictEnd             // "©"+ZWJ+r: r is Extended_Pictographic
	gpPictExtend          // "©"+r+ZWJ+"©": r is Extend (GB11's Extend*)
	gpPictZWJ             // "©"+r+"©": r is ZWJ
	gpConsonant           // r+virama+"क": r is InCB=Consonant
	gpLinker              // "क"+r+"क": r is InCB=Linker
	gpIncbExtend          // "क"+virama+r+"क": r is InCB=Extend or Linker
	gpBeforeL             // r+L: r is L
	gpBeforeV             // r+V: r is L, V or LV
	gpBeforeT             // r+T: r is V, T, LV or LVT
	gpAfterV              // Prepend+V+r: r is V or T (or extends)
	gpCount
)

var graphemeProbes = [gpCount]graphemeProbe{
	gpAfterA:       {"a", "", 0},
	gpBeforeA:      {"", "a", 0},
	gpBeforeExtend: {"", "\u0300\u0300", 0},
	gpPictStart:    {"", "\u200d\u00a9\u0300", 1},
	gpPictEnd:      {"\u00a9\u200d", "", 1},
	gpPictExtend:   {"\u00a9", "\u200d\u00a9\u0300", 2},
	gpPictZWJ:      {"\u00a9", "\u00a9\u0300", 1},
	gpConsonant:    {"", "\u094d\u0915\u0300", 1},
	gpLinker:       {"\u0915", "\u0915\u0300", 1},
	gpIncbExtend:   {"\u0915\u094d", "\u0915\u0300", 2},
	gpBeforeL:      {"", "\u1100\u0300", 0},
	gpBeforeV:      {"", "\u1161\u0300", 0},
	gpBeforeT:      {"", "\u11a8\u0300", 0},
	gpAfterV:       {"\u0600\u1161", "\u0300", 1},
}

// graphemeSep separates probes: a line feed is never part of a cluster
// but with a CR before it, and graphemeCharsmap leaves both alone.
const graphemeSep = "\n"

// graphemeKey reports whether b is a key of graphemeCharsmap, and its
// replacement.
func graphemeKey(b byte) (string, bool) {
	switch {
	case b == 0 || b == '\r' || b == '\n':
		return "", false
	case b < 0x80:
		return string(rune(b)), true
	case b >= 0xC2 && b <= 0xF4:
		return string(rune(0x100 + int(b) - 0xC2)), true
	}
	return "", false
}

// precompiledOutput is what the Precompiled normalizer with
// graphemeCharsmap writes for the clusters of chars cut where mask has a
// bit (bit i: a boundary after chars[i]).
func precompiledOutput(chars []string, mask uint) string {
	var b strings.Builder
	start := 0
	for i := range chars {
		if i+1 < len(chars) && mask&(1<<i) == 0 {
			continue
		}
		cluster := strings.Join(chars[start:i+1], "")
		if rep, ok := graphemeKey(cluster[0]); ok && len(cluster) < 6 {
			b.WriteString(rep)
		} else {
			for _, c := range chars[start : i+1] {
				if rep, ok := graphemeKey(c[0]); ok {
					b.WriteString(rep)
				} else {
					b.WriteString(c)
				}
			}
		}
		start = i + 1
	}
	return b.String()
}

// decodeBoundary returns whether the library's output out of the probe
// p with rune r shows a boundary after character p.gap: 1 a boundary, 0
// none, -1 the output cannot tell; an error if no segmentation gives out.
// Boundaries between two of the probe's fixed characters, other than the
// one asked about, are joins (each is GB9: an Extend, ZWJ or virama after
// a non-control), and so is the one between r and a U+0300 after it if r
// is known not to be a control.
func decodeBoundary(p graphemeProbe, r rune, out string, notControl bool) (int, error) {
	probe := p.prefix + string(r) + p.suffix
	var chars []string
	for i, c := range probe {
		chars = append(chars, probe[i:i+utf8.RuneLen(c)])
	}
	ri := utf8.RuneCountInString(p.prefix)
	var fixed uint // gaps that must be joins
	for i := 0; i+1 < len(chars); i++ {
		if i != p.gap && i != ri && i+1 != ri || i == ri && notControl && chars[i+1] == "\u0300" {
			fixed |= 1 << i
		}
	}
	res := -2
	for mask := uint(0); mask < 1<<(len(chars)-1); mask++ {
		if mask&fixed != 0 || precompiledOutput(chars, mask) != out {
			continue
		}
		b := int(mask >> p.gap & 1)
		switch {
		case res == -2:
			res = b
		case res != b:
			res = -1
		}
	}
	if res == -2 {
		return 0, fmt.Errorf("probe %+q: no segmentation gives the library's %+q", probe, out)
	}
	return res, nil
}

// graphemeObservations probes every rune of rs with every graphemeProbe
// and returns, per rune and probe, decodeBoundary's answer (-1 where the
// output cannot tell).
func graphemeObservations(t *testing.T, rs []rune) [][gpCount]int8 {
	t.Helper()
	var texts []string
	var b strings.Builder
	count := 0
	for _, r := range rs {
		for _, p := range graphemeProbes {
			b.WriteString(p.prefix + string(r) + p.suffix + graphemeSep)
			count++
		}
		if count >= classProbesPerText {
			texts, count = append(texts, b.String()), 0
			b.Reset()
		}
	}
	if count > 0 {
		texts = append(texts, b.String())
	}
	norm := map[string]any{"type": "Precompiled", "precompiled_charsmap": base64.StdEncoding.EncodeToString(graphemeCharsmap())}
	path := writeTokenizerJSON(t, synthJSON(synthOpts{normalizer: norm}))
	var lib []string
	err := tokoracle.Sweep([]tokoracle.SweepJob{{Path: path, Mode: tokoracle.SweepNormalize, Texts: texts}}, func(_ int, out json.RawMessage) error {
		return json.Unmarshal(out, &lib)
	})
	if err != nil {
		t.Fatal(err)
	}
	var outs []string
	for _, s := range lib {
		parts := strings.Split(s, graphemeSep)
		outs = append(outs, parts[:len(parts)-1]...)
	}
	// The outputs of each rune's probes, in order; gpBeforeExtend first
	// (whether r is a control helps read the others).
	obs := make([][gpCount]int8, len(rs))
	k := 0
	for i, r := range rs {
		var mine [gpCount]string
		for g := range graphemeProbes {
			if k >= len(outs) {
				t.Fatalf("the library answered %d probes, fewer than sent", len(outs))
			}
			mine[g] = outs[k]
			k++
		}
		obs[i][gpBeforeExtend] = -1
		v, err := decodeBoundary(graphemeProbes[gpBeforeExtend], r, mine[gpBeforeExtend], false)
		if err != nil {
			t.Fatalf("U+%04X: %v", r, err)
		}
		obs[i][gpBeforeExtend] = int8(v)
		for g, p := range graphemeProbes {
			if g == gpBeforeExtend {
				continue
			}
			v, err := decodeBoundary(p, r, mine[g], obs[i][gpBeforeExtend] == 0)
			if err != nil {
				t.Fatalf("U+%04X: %v", r, err)
			}
			obs[i][g] = int8(v)
		}
	}
	if k != len(outs) {
		t.Fatalf("the library answered %d probes, %d sent", len(outs), k)
	}
	return obs
}

// deriveGraphemeProps turns the observations about r into its property
// byte. Regional indicators cannot be observed (a cluster holding one and
// anything else has 6 bytes or more, so the normalizer never treats it
// whole); they are U+1F1E6..U+1F1FF, as in every Unicode version.
func deriveGraphemeProps(r rune, o [gpCount]int8) (uint8, error) {
	join := func(k int) (bool, error) {
		if o[k] < 0 {
			return false, fmt.Errorf("U+%04X: probe %d cannot tell", r, k)
		}
		return o[k] == 0, nil
	}
	var firstErr error
	j := func(k int) bool {
		v, err := join(k)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return v
	}
	var g gcb
	switch {
	case r == '\r':
		g = gcbCR
	case !j(gpBeforeExtend):
		g = gcbControl
	case j(gpBeforeA):
		g = gcbPrepend
	case j(gpAfterA):
		switch {
		case j(gpPictZWJ):
			g = gcbZWJ
		case j(gpPictExtend):
			g = gcbExtend
		default:
			g = gcbSpacingMark
		}
	case j(gpBeforeL):
		g = gcbL
	case j(gpBeforeV) || j(gpBeforeT):
		v, t := j(gpBeforeV), j(gpBeforeT)
		after, err := join(gpAfterV)
		switch {
		case err != nil || !t:
			return 0, fmt.Errorf("U+%04X: joins a following V (%v) or T (%v) but is no Hangul class we know", r, v, t)
		case v && after:
			g = gcbV
		case v:
			g = gcbLV
		case after:
			g = gcbT
		default:
			g = gcbLVT
		}
	case r >= 0x1F1E6 && r <= 0x1F1FF:
		g = gcbRI
	}
	p := uint8(g)
	extends := g == gcbExtend || g == gcbZWJ || g == gcbSpacingMark
	control := g == gcbControl || g == gcbCR || g == gcbLF
	// Extended_Pictographic before a ZWJ (GB11's left side) and after one
	// (its right side, where an extending r joins anyway).
	if !control && j(gpPictStart) {
		p |= propExtPict
	}
	if !extends && j(gpPictEnd) != (p&propExtPict != 0) {
		return 0, fmt.Errorf("U+%04X: Extended_Pictographic after ZWJ (%v) but not before one", r, j(gpPictEnd))
	}
	if j(gpConsonant) {
		p |= propConsonant
	}
	if extends {
		switch {
		case j(gpLinker):
			p |= propLinker
		case j(gpIncbExtend):
			p |= propInCBExt
		}
	}
	return p, firstErr
}

// TestGenerateGraphemeProps regenerates graphemetable.go, the grapheme
// cluster properties of every code point as the library has them:
//
//	TOKENIZE_GEN_GRAPHEME=1 go test -run GenerateGraphemeProps ./pkg/tokenize/
func TestGenerateGraphemeProps(t *testing.T) {
	if os.Getenv("TOKENIZE_GEN_GRAPHEME") != "1" {
		t.Skip("set TOKENIZE_GEN_GRAPHEME=1 to regenerate graphemetable.go")
	}
	if err := tokoracle.Available(); err != nil {
		t.Skip(err)
	}
	var rs []rune // all but the surrogates and "\n" (LF, and the separator)
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if (r < 0xD800 || r > 0xDFFF) && r != '\n' {
			rs = append(rs, r)
		}
	}
	obs := graphemeObservations(t, rs)
	props := make([]uint8, utf8.MaxRune+1)
	props['\n'] = uint8(gcbLF)
	for i, r := range rs {
		p, err := deriveGraphemeProps(r, obs[i])
		if err != nil {
			t.Fatal(err)
		}
		props[r] = p
	}
	var b strings.Builder
	b.WriteString("// Code generated by TestGenerateGraphemeProps from the HF library (npm tokenizers); DO NOT EDIT.\n\n")
	b.WriteString("package tokenize\n\n")
	b.WriteString("// graphemeTable gives the grapheme cluster properties (gcb value and\n// flags) of every code point that has any, as the library has them.\n")
	b.WriteString("var graphemeTable = []graphemeRange{\n")
	n := 0
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if props[r] == 0 {
			continue
		}
		lo := r
		for r+1 <= utf8.MaxRune && r+1 != 0x10000 && props[r+1] == props[lo] {
			r++
		}
		fmt.Fprintf(&b, "{0x%04X, 0x%04X, %s},\n", lo, r, graphemePropsExpr(props[lo]))
		n++
	}
	b.WriteString("}\n")
	src, err := format.Source([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("graphemetable.go", src, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d code points probed, %d ranges", len(rs), n)
}

// graphemePropsExpr spells a property byte as Go: uint8(gcbExtend) | propInCBExt.
func graphemePropsExpr(p uint8) string {
	names := []string{"gcbOther", "gcbCR", "gcbLF", "gcbControl", "gcbExtend", "gcbZWJ", "gcbRI", "gcbPrepend",
		"gcbSpacingMark", "gcbL", "gcbV", "gcbT", "gcbLV", "gcbLVT"}
	e := "uint8(" + names[p&0xF] + ")"
	for _, f := range []struct {
		bit  uint8
		name string
	}{{propExtPict, "propExtPict"}, {propConsonant, "propConsonant"}, {propLinker, "propLinker"}, {propInCBExt, "propInCBExt"}} {
		if p&f.bit != 0 {
			e += " | " + f.name
		}
	}
	return e
}
