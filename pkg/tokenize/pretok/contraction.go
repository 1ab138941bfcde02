package pretok

import "strings"

// longS is U+017F LATIN SMALL LETTER LONG S in UTF-8. Unicode case folding
// maps it to 's', so Oniguruma's (?i:'s) matches "'ſ" (measured with the HF
// library); regexp2's (?i), which compares unicode.ToLower of both sides,
// does not. Among the letters s, t, r, e, v, m, l, d it is the only
// non-ASCII rune in a case-fold orbit.
const longS = "\u017f"

// contraction returns the byte length of the match at s[i] of
// 's|'t|'re|'ve|'m|'ll|'d, or 0 if there is none. With fold set it matches
// as (?i:'s|'t|'re|'ve|'m|'ll|'d) does in Oniguruma: ASCII letters in either
// case, and ſ for s.
func contraction(s string, i int, fold bool) int {
	if i+1 >= len(s) || s[i] != '\'' {
		return 0
	}
	if fold && strings.HasPrefix(s[i+1:], longS) {
		return 1 + len(longS)
	}
	lower := func(b byte) byte {
		if fold {
			return b | 0x20 // maps only 'A'-'Z' onto the letters compared below
		}
		return b
	}
	switch lower(s[i+1]) {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if i+2 < len(s) && lower(s[i+2]) == 'e' {
			return 3
		}
	case 'l':
		if i+2 < len(s) && lower(s[i+2]) == 'l' {
			return 3
		}
	}
	return 0
}
