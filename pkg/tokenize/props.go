package tokenize

import (
	"unicode"
	"unicode/utf8"
)

// Character properties as the HF library's Rust crates see them. The
// library's tables are older than Go's (unicode_categories is Unicode 9-era
// data, unicode-normalization-alignments older than 15), so each property
// is Go's answer flipped on the runes listed in its generated override
// table (propoverrides.go, TestGeneratePropOverrides).

// inRanges reports whether r is in the sorted, disjoint ranges rs.
func inRanges(r rune, rs []runeRange) bool {
	lo, hi := 0, len(rs)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case r < rs[m].lo:
			hi = m
		case r > rs[m].hi:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}

// isOtherCategory is unicode_categories' is_other (Cc, Cf, Co; its tables
// list no Cn) as the library has it.
func isOtherCategory(r rune) bool {
	var v bool
	if r < utf8.RuneSelf {
		v = r < 0x20 || r == 0x7F
	} else {
		v = unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co)
	}
	return v != inRanges(r, otherOverrides)
}

// isPunctuation is ASCII punctuation or unicode_categories' is_punctuation
// (Pc, Pd, Ps, Pe, Pi, Pf, Po), the Bert and Punctuation pre-tokenizers'
// split rule.
func isPunctuation(r rune) bool {
	if r < utf8.RuneSelf {
		return ('!' <= r && r <= '/') || (':' <= r && r <= '@') || ('[' <= r && r <= '`') || ('{' <= r && r <= '~')
	}
	return unicode.IsPunct(r) != inRanges(r, punctOverrides)
}

// isNonspacingMark is unicode_categories' is_mark_nonspacing (Mn), the
// Bert normalizer's accent rule.
func isNonspacingMark(r rune) bool {
	if r < utf8.RuneSelf {
		return false
	}
	return unicode.Is(unicode.Mn, r) != inRanges(r, mnOverrides)
}

// isCombiningMark is unicode-normalization-alignments' is_combining_mark
// (Mn, Mc, Me), the StripAccents normalizer's rule.
func isCombiningMark(r rune) bool {
	if r < utf8.RuneSelf {
		return false
	}
	return unicode.IsMark(r) != inRanges(r, markOverrides)
}

// isChineseChar is the Bert normalizer's CJK test (code point blocks, no
// Unicode data).
func isChineseChar(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) || (r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B920 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}
