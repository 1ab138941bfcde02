package tokenize

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// Character properties as the HF library's Rust crates see them. The
// library's tables are older than Go's (unicode_categories is Unicode 9-era
// data, unicode-normalization-alignments older than 15, the regex crate's
// Unicode 16), so each property is Go's answer flipped on the runes listed
// in its generated override table (propoverrides.go,
// TestGeneratePropOverrides). TestParityPreTokenizerClasses and
// TestParityNormalizerClasses check every code point against the library.

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

// isWhiteSpace is the White_Space property as the library sees it: Rust's
// char::is_whitespace (WhitespaceSplit, BertPreTokenizer, the Bert
// normalizer's clean_text, Strip) and the regex crate's \s (Whitespace,
// the added vocabulary's lstrip/rstrip), which agree on every code point.
func isWhiteSpace(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return r == ' ' || (r >= '\t' && r <= '\r')
	case r < 0x10000:
		return bmpClasses()[r]&bmpSpace != 0
	}
	return whiteSpace(r)
}

// isWordChar is the regex crate's Unicode \w (Alphabetic, M, Nd, Pc,
// Join_Control; its tables are Unicode 16), which the Whitespace
// pre-tokenizer and the added vocabulary's single_word use.
func isWordChar(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
	case r < 0x10000:
		return bmpClasses()[r]&bmpWord != 0
	}
	return wordChar(r)
}

// isNumeric is Rust's char::is_numeric (Nd, Nl, No), the Digits
// pre-tokenizer's rule.
func isNumeric(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return '0' <= r && r <= '9'
	case r < 0x10000:
		return bmpClasses()[r]&bmpNumeric != 0
	}
	return numeric(r)
}

// The definitions for runes above ASCII; the BMP's answers are looked up
// in a table built from them on first use.
func whiteSpace(r rune) bool { return unicode.IsSpace(r) != inRanges(r, spaceOverrides) }

func wordChar(r rune) bool {
	v := unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.Nd, r) ||
		unicode.Is(unicode.Nl, r) || unicode.Is(unicode.Other_Alphabetic, r) ||
		unicode.Is(unicode.Pc, r) || r == 0x200C || r == 0x200D
	return v != inRanges(r, wordOverrides)
}

func numeric(r rune) bool { return unicode.IsNumber(r) != inRanges(r, numericOverrides) }

const (
	bmpWord = 1 << iota
	bmpSpace
	bmpNumeric
)

var (
	bmpClassOnce sync.Once
	bmpClass     []uint8
)

func bmpClasses() []uint8 {
	bmpClassOnce.Do(func() {
		t := make([]uint8, 0x10000)
		for r := rune(utf8.RuneSelf); r < 0x10000; r++ {
			if wordChar(r) {
				t[r] |= bmpWord
			}
			if whiteSpace(r) {
				t[r] |= bmpSpace
			}
			if numeric(r) {
				t[r] |= bmpNumeric
			}
		}
		bmpClass = t
	})
	return bmpClass
}
