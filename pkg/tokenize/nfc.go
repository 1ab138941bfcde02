package tokenize

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Exact Unicode normalization forms.
//
// golang.org/x/text/unicode/norm produces the "stream-safe" variant: after
// 30 consecutive non-starters it inserts U+034F COMBINING GRAPHEME JOINER,
// which also stops reordering and composition across it. Hugging Face
// (the unicode-normalization crate) does not. So the text is cut at the
// positions where x/text itself may cut (BoundaryBefore), segments whose
// decomposition has at most maxRunNonStarters consecutive non-starters are
// normalized by x/text, and the others by the textbook algorithm below
// (full decomposition per rune, stable sort of non-starters by canonical
// combining class, canonical composition with pairwise lookups).

// maxRunNonStarters keeps segments handed to x/text well below its limit
// of 30 non-starters.
const maxRunNonStarters = 28

// runeRange is an inclusive range of runes.
type runeRange struct{ lo, hi rune }

// isInert reports whether HF's normalizer does not know r (normOverrides).
func isInert(r rune) bool {
	lo, hi := 0, len(normOverrides)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case r < normOverrides[m].lo:
			hi = m
		case r > normOverrides[m].hi:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}

// appendNormalized appends the form f of s (which must be valid UTF-8) to
// dst, as HF computes it. it is the caller's scratch (x/text's Append
// allocates its reorder buffer on every call; an Iter holds its own).
func appendNormalized(dst []byte, s string, f norm.Form, it *norm.Iter) []byte {
	// If x/text leaves s unchanged, so does HF: its older tables only ever
	// make it change less.
	if f.QuickSpanString(s) == len(s) { // (IsNormalString allocates)
		return append(dst, s...)
	}
	// A rune HF does not know is an inert starter: nothing reorders or
	// composes across it, so it cuts the text.
	start := 0
	for i, r := range s {
		if r >= 0x300 && isInert(r) {
			dst = appendKnown(dst, s[start:i], f, it)
			dst = utf8.AppendRune(dst, r)
			start = i + utf8.RuneLen(r)
		}
	}
	return appendKnown(dst, s[start:], f, it)
}

// appendKnown normalizes a text without inert runes.
func appendKnown(dst []byte, s string, f norm.Form, it *norm.Iter) []byte {
	if s == "" {
		return dst
	}
	composes := f == norm.NFC || f == norm.NFKC
	segStart := 0
	for i := 0; i < len(s); {
		p := f.PropertiesString(s[i:])
		size := p.Size()
		if size == 0 {
			size = 1
		}
		if i > segStart && p.BoundaryBefore() && (!composes || leadsWithStarter(p)) {
			dst = appendSegment(dst, s[segStart:i], f, it)
			segStart = i
		}
		i += size
	}
	return appendSegment(dst, s[segStart:], f, it)
}

// leadsWithStarter reports that the decomposition of the rune of p (if it
// has one) begins with a rune that composes with nothing before it.
// x/text's BoundaryBefore looks at the rune itself only: a Hangul
// compatibility jamo (U+314F ㅏ, NFKC → U+1161, a vowel jamo that composes
// with a preceding leading jamo) or its halfwidth form reports a boundary
// before it, and cutting there would leave ㄱㅏ as U+1100 U+1161 instead of
// 가.
func leadsWithStarter(p norm.Properties) bool {
	d := p.Decomposition()
	return d == nil || norm.NFC.Properties(d).BoundaryBefore()
}

func decompForm(f norm.Form) norm.Form {
	if f == norm.NFKC || f == norm.NFKD {
		return norm.NFKD
	}
	return norm.NFD
}

func ccc(r rune) uint8 {
	var b [utf8.UTFMax]byte
	n := utf8.EncodeRune(b[:], r)
	return norm.NFD.Properties(b[:n]).CCC()
}

// appendSegment normalizes one segment (cut at x/text boundaries).
func appendSegment(dst []byte, seg string, f norm.Form, it *norm.Iter) []byte {
	if seg == "" {
		return dst
	}
	if !longNonStarterRun(seg, f) {
		// Through an Iter on seg alone: x/text's Append to dst would
		// renormalize across the end of dst, undoing the cuts made here.
		it.InitString(f, seg)
		for !it.Done() {
			dst = append(dst, it.Next()...)
		}
		return dst
	}
	// Textbook algorithm on the decomposed runes.
	var runes []rune
	df := decompForm(f)
	for _, r := range seg {
		for _, d := range df.String(string(r)) {
			runes = append(runes, d)
		}
	}
	classes := make([]uint8, len(runes))
	for i, r := range runes {
		classes[i] = ccc(r)
	}
	// Canonical ordering: stable insertion sort of each run of non-starters.
	for i := 1; i < len(runes); i++ {
		for j := i; j > 0 && classes[j] != 0 && classes[j-1] > classes[j]; j-- {
			runes[j], runes[j-1] = runes[j-1], runes[j]
			classes[j], classes[j-1] = classes[j-1], classes[j]
		}
	}
	if f == norm.NFD || f == norm.NFKD {
		for _, r := range runes {
			dst = utf8.AppendRune(dst, r)
		}
		return dst
	}
	// Canonical composition.
	out := runes[:0:0]
	outCCC := classes[:0:0]
	starter := -1 // index in out of the last starter
	for i, r := range runes {
		c := classes[i]
		if starter >= 0 {
			last := outCCC[len(outCCC)-1]
			blocked := len(out)-1 != starter && (last == 0 || last >= c)
			if !blocked {
				if p, ok := composePair(out[starter], r); ok {
					out[starter] = p
					continue
				}
			}
		}
		if c == 0 {
			starter = len(out)
		}
		out = append(out, r)
		outCCC = append(outCCC, c)
	}
	for _, r := range out {
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// composePair returns the primary composite of a and b, if any.
func composePair(a, b rune) (rune, bool) {
	var buf [2 * utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], a)
	n += utf8.EncodeRune(buf[n:], b)
	out := norm.NFC.Append(nil, buf[:n]...)
	r, size := utf8.DecodeRune(out)
	if size == len(out) && r != utf8.RuneError {
		return r, true
	}
	return 0, false
}

// longNonStarterRun reports whether the decomposition of seg has a run of
// more than maxRunNonStarters consecutive non-starters.
func longNonStarterRun(seg string, f norm.Form) bool {
	run := 0
	for i := 0; i < len(seg); {
		p := f.PropertiesString(seg[i:])
		size := p.Size()
		if size == 0 {
			size = 1
		}
		d := p.Decomposition()
		if d == nil {
			if p.CCC() == 0 {
				run = 0
			} else {
				run++
			}
		} else {
			for j := 0; j < len(d); {
				q := norm.NFD.Properties(d[j:])
				if q.CCC() == 0 {
					run = 0
				} else {
					run++
				}
				if q.Size() == 0 {
					break
				}
				j += q.Size()
			}
		}
		if run > maxRunNonStarters {
			return true
		}
		i += size
	}
	return false
}
