package tokcorpus

import (
	"strings"
	"unicode"
)

// class is a Unicode general category with its rune table.
type class struct {
	name string
	tab  *unicode.RangeTable
}

// classes are the categories the pre-tokenizer patterns distinguish
// (\p{L} split into Lu/Ll/Lt/Lm/Lo for gpt-oss, \p{M}, \p{N}, \p{P}, \p{S},
// whitespace and controls).
var classes = []class{
	{"Lu", unicode.Lu}, {"Ll", unicode.Ll}, {"Lt", unicode.Lt}, {"Lm", unicode.Lm}, {"Lo", unicode.Lo},
	{"Mn", unicode.Mn}, {"Mc", unicode.Mc}, {"Me", unicode.Me},
	{"Nd", unicode.Nd}, {"Nl", unicode.Nl}, {"No", unicode.No},
	{"Pc", unicode.Pc}, {"Pd", unicode.Pd}, {"Ps", unicode.Ps}, {"Pe", unicode.Pe}, {"Pi", unicode.Pi}, {"Pf", unicode.Pf}, {"Po", unicode.Po},
	{"Sm", unicode.Sm}, {"Sc", unicode.Sc}, {"Sk", unicode.Sk}, {"So", unicode.So},
	{"Zs", unicode.Zs}, {"Zl", unicode.Zl}, {"Zp", unicode.Zp}, {"Cc", unicode.Cc}, {"Cf", unicode.Cf}, {"Co", unicode.Co},
}

// asciiGlue are the characters the patterns treat specially.
var asciiGlue = []string{"'", "'s", "'T", "'re", "'LL", " ", "  ", "\r", "\n", "\r\n", "\t", "a", "Z", "0", "12", "345", "!", "?", ".", ",", "_", "-", "\\", "/", "\"", "@", "#", "$", "%", "^", "&", "*", "(", ")", "[", "]", "{", "}", "<", ">", "|", "~", "`", "+", "=", ":", ";"}

// sampleRune returns a uniformly random rune of tab (surrogates excluded).
func sampleRune(r *rng, tab *unicode.RangeTable) rune {
	total := 0
	for _, rg := range tab.R16 {
		total += int((rg.Hi-rg.Lo)/rg.Stride) + 1
	}
	for _, rg := range tab.R32 {
		total += int((rg.Hi-rg.Lo)/rg.Stride) + 1
	}
	for {
		i := r.intn(total)
		var c rune = -1
		for _, rg := range tab.R16 {
			n := int((rg.Hi-rg.Lo)/rg.Stride) + 1
			if i < n {
				c = rune(rg.Lo) + rune(i)*rune(rg.Stride)
				break
			}
			i -= n
		}
		if c < 0 {
			for _, rg := range tab.R32 {
				n := int((rg.Hi-rg.Lo)/rg.Stride) + 1
				if i < n {
					c = rune(rg.Lo) + rune(i)*rune(rg.Stride)
					break
				}
				i -= n
			}
		}
		if c < 0xD800 || c > 0xDFFF {
			return c
		}
	}
}

// genClassBoundary writes random strings mixing two to four general
// categories with the ASCII characters the patterns single out, so that
// every class transition the patterns care about occurs.
func genClassBoundary(s *sink, r *rng) {
	// One text per ordered pair of classes, alternating short runs.
	for i, a := range classes {
		b := classes[(i*7+3)%len(classes)]
		s.add(a.name+"-"+b.name, classMix(r, []class{a, b}, 16))
	}
	for i := 0; i < 600; i++ {
		cs := make([]class, r.between(2, 4))
		for j := range cs {
			cs[j] = pick(r, classes)
		}
		names := make([]string, len(cs))
		for j, c := range cs {
			names[j] = c.name
		}
		s.add(strings.Join(names, "-"), classMix(r, cs, r.between(1, 24)))
	}
}

// classMix returns n pieces: runs of 1-3 runes from the given classes, or
// ASCII glue.
func classMix(r *rng, cs []class, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if r.chance(30) {
			b.WriteString(pick(r, asciiGlue))
			continue
		}
		c := pick(r, cs)
		for k := r.between(1, 3); k > 0; k-- {
			b.WriteRune(sampleRune(r, c.tab))
		}
	}
	return b.String()
}

// unicodeEdge are code points whose properties differ between Unicode
// versions (Go's tables are Unicode 15.0; the oracle's Oniguruma may be
// older) or that are unassigned, noncharacters, private use or specials.
var unicodeEdge = []rune{
	0x1FAE0, 0x1FAE8, 0x1FA7B, // emoji added in 14.0 and 15.0
	0x31350, 0x3134A, 0x2B739, 0x2EBF0, // CJK Ext G/H/I edges (13.0, 15.0, 15.1)
	0x11F00, 0x11F04, 0x11F50, 0x1E4D0, 0x1E4F0, 0x1E030, // Kawi, Nag Mundari, Cyrillic ext (15.0)
	0x10D40, 0x10D4A, 0x1CC00, 0x16D40, 0x11BC0, // 16.0 additions (unassigned in 15.0)
	0x1E290, 0x10570, 0x0870, 0x0888, 0x1DF00, 0x1E900, // 14.0 additions and older
	0x0378, 0x0379, 0x0380, 0x05FF, 0x2FFFD, 0x3FFFD, 0xE0080, // unassigned
	0xFDD0, 0xFDEF, 0xFFFE, 0xFFFF, 0x1FFFE, 0x10FFFF, // noncharacters
	0xE000, 0xF8FF, 0xF0000, 0x10FFFD, // private use
	0xFFF9, 0xFFFC, 0xFFFD, 0xD7FF, 0xE0001, 0xE0020, 0xE007F, 0x00AD, 0x061C, 0x180E, 0x0600, 0x110BD,
	0x0000, 0x0001, 0x007F, 0x0080, 0x009F, 0x00A0, 0x2E3A, 0x2E3B, 0xA9CF, 0x0E46, 0x3005, 0x02B0, 0x1C90,
	0x01C5, 0x1F88, 0x2160, 0x3007, 0x2070, 0x00B2, 0x1D7CE, 0x0F33, 0x16EE, 0x10341,
}

// genUnicodeEdge writes those code points alone, between letters, digits and
// spaces, and as runs.
func genUnicodeEdge(s *sink, r *rng) {
	for _, c := range unicodeEdge {
		cs := string(c)
		s.add("single", cs)
		s.add("context", "a"+cs+"b "+cs+cs+" 1"+cs+"2 '"+cs+"s "+cs+"'s\n"+cs)
	}
	for i := 0; i < 30; i++ {
		var b strings.Builder
		for j := r.between(1, 20); j > 0; j-- {
			if r.chance(50) {
				b.WriteRune(pick(r, unicodeEdge))
			} else {
				b.WriteString(pick(r, asciiGlue))
			}
		}
		s.add("mix", b.String())
	}
}
