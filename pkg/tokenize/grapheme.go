package tokenize

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// Extended grapheme clusters (Unicode UAX #29, rules GB3–GB13 with GB9c),
// which HF's Precompiled normalizer walks with the unicode-segmentation
// crate. Properties are derived from Go's Unicode tables; the few lists
// Go has no table for (Prepend, SpacingMark exceptions,
// Extended_Pictographic, Indic_Conjunct_Break) are spelled out below.

// gcb is a Grapheme_Cluster_Break value.
type gcb uint8

const (
	gcbOther gcb = iota
	gcbCR
	gcbLF
	gcbControl
	gcbExtend
	gcbZWJ
	gcbRI
	gcbPrepend
	gcbSpacingMark
	gcbL
	gcbV
	gcbT
	gcbLV
	gcbLVT
)

// Flags stored next to the gcb value (low 4 bits) in a property byte.
const (
	propExtPict   = 1 << 4
	propConsonant = 1 << 5 // InCB=Consonant
	propLinker    = 1 << 6 // InCB=Linker
	propInCBExt   = 1 << 7 // InCB=Extend
)

var (
	bmpPropsOnce sync.Once
	bmpProps     []uint8 // properties of U+0000..U+FFFF
)

func graphemeProps(r rune) uint8 {
	if r < 0x10000 {
		bmpPropsOnce.Do(func() {
			t := make([]uint8, 0x10000)
			for c := range t {
				t[c] = computeProps(rune(c))
			}
			bmpProps = t
		})
		return bmpProps[r]
	}
	return computeProps(r)
}

var (
	prependExtra = &unicode.RangeTable{R16: []unicode.Range16{{Lo: 0x0D4E, Hi: 0x0D4E, Stride: 1}}, R32: []unicode.Range32{
		{Lo: 0x111C2, Hi: 0x111C3, Stride: 1}, {Lo: 0x113D1, Hi: 0x113D1, Stride: 1}, {Lo: 0x1193F, Hi: 0x1193F, Stride: 1},
		{Lo: 0x11941, Hi: 0x11941, Stride: 1}, {Lo: 0x11A3A, Hi: 0x11A3A, Stride: 1}, {Lo: 0x11A84, Hi: 0x11A89, Stride: 1},
		{Lo: 0x11D46, Hi: 0x11D46, Stride: 1}, {Lo: 0x11F02, Hi: 0x11F02, Stride: 1}}}
	spacingMarkExceptions = &unicode.RangeTable{R16: []unicode.Range16{
		{Lo: 0x102B, Hi: 0x102C, Stride: 1}, {Lo: 0x1038, Hi: 0x1038, Stride: 1}, {Lo: 0x1062, Hi: 0x1064, Stride: 1},
		{Lo: 0x1067, Hi: 0x106D, Stride: 1}, {Lo: 0x1083, Hi: 0x1083, Stride: 1}, {Lo: 0x1087, Hi: 0x108C, Stride: 1},
		{Lo: 0x108F, Hi: 0x108F, Stride: 1}, {Lo: 0x109A, Hi: 0x109C, Stride: 1}, {Lo: 0x1A61, Hi: 0x1A61, Stride: 1},
		{Lo: 0x1A63, Hi: 0x1A64, Stride: 1}, {Lo: 0xAA7B, Hi: 0xAA7B, Stride: 1}, {Lo: 0xAA7D, Hi: 0xAA7D, Stride: 1}},
		R32: []unicode.Range32{{Lo: 0x11720, Hi: 0x11721, Stride: 1}}}
	// Extended_Pictographic (emoji-data.txt).
	extPict = []runeRange{
		{0x00A9, 0x00A9}, {0x00AE, 0x00AE}, {0x203C, 0x203C}, {0x2049, 0x2049}, {0x2122, 0x2122}, {0x2139, 0x2139},
		{0x2194, 0x2199}, {0x21A9, 0x21AA}, {0x231A, 0x231B}, {0x2328, 0x2328}, {0x2388, 0x2388}, {0x23CF, 0x23CF},
		{0x23E9, 0x23F3}, {0x23F8, 0x23FA}, {0x24C2, 0x24C2}, {0x25AA, 0x25AB}, {0x25B6, 0x25B6}, {0x25C0, 0x25C0},
		{0x25FB, 0x25FE}, {0x2600, 0x2605}, {0x2607, 0x2612}, {0x2614, 0x2685}, {0x2690, 0x2705}, {0x2708, 0x2712},
		{0x2714, 0x2714}, {0x2716, 0x2716}, {0x271D, 0x271D}, {0x2721, 0x2721}, {0x2728, 0x2728}, {0x2733, 0x2734},
		{0x2744, 0x2744}, {0x2747, 0x2747}, {0x274C, 0x274C}, {0x274E, 0x274E}, {0x2753, 0x2755}, {0x2757, 0x2757},
		{0x2763, 0x2767}, {0x2795, 0x2797}, {0x27A1, 0x27A1}, {0x27B0, 0x27B0}, {0x27BF, 0x27BF}, {0x2934, 0x2935},
		{0x2B05, 0x2B07}, {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50}, {0x2B55, 0x2B55}, {0x3030, 0x3030}, {0x303D, 0x303D},
		{0x3297, 0x3297}, {0x3299, 0x3299}, {0x1F000, 0x1F0FF}, {0x1F10D, 0x1F10F}, {0x1F12F, 0x1F12F},
		{0x1F16C, 0x1F171}, {0x1F17E, 0x1F17F}, {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F1AD, 0x1F1E5},
		{0x1F201, 0x1F20F}, {0x1F21A, 0x1F21A}, {0x1F22F, 0x1F22F}, {0x1F232, 0x1F23A}, {0x1F23C, 0x1F23F},
		{0x1F249, 0x1F3FA}, {0x1F400, 0x1F53D}, {0x1F546, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F774, 0x1F77F},
		{0x1F7D5, 0x1F7FF}, {0x1F80C, 0x1F80F}, {0x1F848, 0x1F84F}, {0x1F85A, 0x1F85F}, {0x1F888, 0x1F88F},
		{0x1F8AE, 0x1F8FF}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945}, {0x1F947, 0x1FAFF}, {0x1FC00, 0x1FFFD},
	}
	// Indic_Conjunct_Break=Consonant and =Linker (DerivedCoreProperties).
	incbConsonant = []runeRange{
		{0x0915, 0x0939}, {0x0958, 0x095F}, {0x0978, 0x097F}, {0x0995, 0x09A8}, {0x09AA, 0x09B0}, {0x09B2, 0x09B2},
		{0x09B6, 0x09B9}, {0x09DC, 0x09DD}, {0x09DF, 0x09DF}, {0x09F0, 0x09F1}, {0x0A95, 0x0AA8}, {0x0AAA, 0x0AB0},
		{0x0AB2, 0x0AB3}, {0x0AB5, 0x0AB9}, {0x0AF9, 0x0AF9}, {0x0B15, 0x0B28}, {0x0B2A, 0x0B30}, {0x0B32, 0x0B33},
		{0x0B35, 0x0B39}, {0x0B5C, 0x0B5D}, {0x0B5F, 0x0B5F}, {0x0B71, 0x0B71}, {0x0C15, 0x0C28}, {0x0C2A, 0x0C39},
		{0x0C58, 0x0C5A}, {0x0D15, 0x0D3A},
	}
	incbLinker = []runeRange{{0x094D, 0x094D}, {0x09CD, 0x09CD}, {0x0ACD, 0x0ACD}, {0x0B4D, 0x0B4D}, {0x0C4D, 0x0C4D}, {0x0D4D, 0x0D4D}}
)

func computeProps(r rune) uint8 {
	var p uint8
	if inRanges(r, extPict) {
		p |= propExtPict
	}
	g := computeGCB(r)
	switch {
	case inRanges(r, incbLinker):
		p |= propLinker
	case inRanges(r, incbConsonant):
		p |= propConsonant
	case g == gcbExtend || g == gcbZWJ:
		p |= propInCBExt
	}
	return p | uint8(g)
}

func computeGCB(r rune) gcb {
	switch {
	case r == '\r':
		return gcbCR
	case r == '\n':
		return gcbLF
	case r < 0x20 || r == 0x7F:
		return gcbControl
	case r < 0x80:
		return gcbOther
	case r >= 0xAC00 && r <= 0xD7A3:
		if (r-0xAC00)%28 == 0 {
			return gcbLV
		}
		return gcbLVT
	case (r >= 0x1100 && r <= 0x115F) || (r >= 0xA960 && r <= 0xA97C):
		return gcbL
	case (r >= 0x1160 && r <= 0x11A7) || (r >= 0xD7B0 && r <= 0xD7C6):
		return gcbV
	case (r >= 0x11A8 && r <= 0x11FF) || (r >= 0xD7CB && r <= 0xD7FB):
		return gcbT
	case r >= 0x1F1E6 && r <= 0x1F1FF:
		return gcbRI
	case r == 0x200D:
		return gcbZWJ
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Other_Grapheme_Extend) || (r >= 0x1F3FB && r <= 0x1F3FF):
		return gcbExtend
	case unicode.In(r, unicode.Prepended_Concatenation_Mark, prependExtra):
		return gcbPrepend
	case r == 0x0E33 || r == 0x0EB3 || (unicode.Is(unicode.Mc, r) && !unicode.Is(spacingMarkExceptions, r)):
		return gcbSpacingMark
	case unicode.In(r, unicode.Cc, unicode.Zl, unicode.Zp, unicode.Cf):
		return gcbControl
	case unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) && !isAssigned(r):
		return gcbControl
	}
	return gcbOther
}

// isAssigned reports whether r has a general category other than Cn
// (unicode.Categories also holds "Cn", and "C", which includes it).
func isAssigned(r rune) bool {
	for name, t := range unicode.Categories {
		if len(name) == 2 && name != "Cn" && unicode.Is(t, r) {
			return true
		}
	}
	return false
}

// graphemes finds cluster ends; it holds no state between calls.
type graphemes struct{}

// next returns the end of the extended grapheme cluster that starts at
// byte i of s (i must be a cluster start).
func (graphemes) next(s string, i int) int {
	c := s[i]
	if c < utf8.RuneSelf && c != '\r' && (i+1 == len(s) || s[i+1] < utf8.RuneSelf) {
		return i + 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	prev := graphemeProps(r)
	ri := 0
	if gcb(prev&0xF) == gcbRI {
		ri = 1
	}
	ep := 0 // 1: ExtPict Extend*, 2: ExtPict Extend* ZWJ
	if prev&propExtPict != 0 {
		ep = 1
	}
	incb := 0 // 1: Consonant [Extend|Linker]*, 2: the same with a Linker
	if prev&propConsonant != 0 {
		incb = 1
	}
	j := i + size
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		cur := graphemeProps(r)
		if graphemeBreak(prev, cur, ri, ep, incb) {
			return j
		}
		cg := gcb(cur & 0xF)
		if cg == gcbRI {
			ri++
		} else {
			ri = 0
		}
		switch {
		case cur&propExtPict != 0:
			ep = 1
		case ep == 1 && cg == gcbExtend:
		case ep == 1 && cg == gcbZWJ:
			ep = 2
		default:
			ep = 0
		}
		switch {
		case cur&propConsonant != 0:
			incb = 1
		case incb > 0 && cur&propLinker != 0:
			incb = 2
		case incb > 0 && cur&propInCBExt != 0:
		default:
			incb = 0
		}
		prev = cur
		j += size
	}
	return j
}

// graphemeBreak applies GB3–GB999 between prev and cur.
func graphemeBreak(prev, cur uint8, ri, ep, incb int) bool {
	p, c := gcb(prev&0xF), gcb(cur&0xF)
	switch {
	case p == gcbCR && c == gcbLF: // GB3
		return false
	case p == gcbControl || p == gcbCR || p == gcbLF: // GB4
		return true
	case c == gcbControl || c == gcbCR || c == gcbLF: // GB5
		return true
	case p == gcbL && (c == gcbL || c == gcbV || c == gcbLV || c == gcbLVT): // GB6
		return false
	case (p == gcbLV || p == gcbV) && (c == gcbV || c == gcbT): // GB7
		return false
	case (p == gcbLVT || p == gcbT) && c == gcbT: // GB8
		return false
	case c == gcbExtend || c == gcbZWJ: // GB9
		return false
	case c == gcbSpacingMark: // GB9a
		return false
	case p == gcbPrepend: // GB9b
		return false
	case incb == 2 && cur&propConsonant != 0: // GB9c
		return false
	case ep == 2 && p == gcbZWJ && cur&propExtPict != 0: // GB11
		return false
	case p == gcbRI && c == gcbRI: // GB12, GB13
		return ri%2 == 0
	}
	return true
}
