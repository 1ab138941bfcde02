package pretok

import "unicode/utf8"

// DeepSeek-V3 and R1 pre-tokenize with three Split stages, in this order.
const (
	// DeepSeekDigitsPattern isolates groups of up to three digits.
	DeepSeekDigitsPattern = `\p{N}{1,3}`
	// DeepSeekCJKPattern isolates runs of CJK ideographs (U+4E00–U+9FA5),
	// hiragana and katakana.
	DeepSeekCJKPattern = "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+"
	// DeepSeekPattern is the main split; the CR and LF in it are literal
	// characters, as in the tokenizer.json files.
	DeepSeekPattern = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"
)

// deepSeekEscaped is DeepSeekPattern with CR and LF written as regex
// escapes, which means the same.
const deepSeekEscaped = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

// runScanner matches runs of up to max runes (0: no limit) of a class;
// runes outside it start no match.
type runScanner struct {
	t    *classTable
	want class
	max  int
}

// AppendMatches implements Matcher.
func (m *runScanner) AppendMatches(dst []int, s string) ([]int, error) {
	t := m.t
	for p := 0; p < len(s); {
		c, n := t.at(s, p)
		if c&m.want == 0 {
			p += n
			continue
		}
		e := p + n
		if m.max == 0 {
			e = t.span(s, e, m.want)
		} else {
			e = t.spanMax(s, e, m.want, m.max-1)
		}
		dst = append(dst, p, e)
		p = e
	}
	return dst, nil
}

// cjkScanner matches DeepSeekCJKPattern.
type cjkScanner struct{}

func isDeepSeekCJK(r rune) bool {
	return r >= 0x4e00 && r <= 0x9fa5 || r >= 0x3040 && r <= 0x30ff
}

// AppendMatches implements Matcher.
func (cjkScanner) AppendMatches(dst []int, s string) ([]int, error) {
	start := -1
	for p := 0; p < len(s); {
		if s[p] < 0xe3 || s[p] > 0xe9 { // all of the ranges are 3-byte E3..E9 xx xx
			if start >= 0 {
				dst = append(dst, start, p)
				start = -1
			}
			if s[p] < utf8.RuneSelf {
				p++
			} else {
				_, n := utf8.DecodeRuneInString(s[p:])
				p += n
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[p:])
		if isDeepSeekCJK(r) {
			if start < 0 {
				start = p
			}
		} else if start >= 0 {
			dst = append(dst, start, p)
			start = -1
		}
		p += n
	}
	if start >= 0 {
		dst = append(dst, start, len(s))
	}
	return dst, nil
}

// deepSeekScanner matches DeepSeekPattern. Runes that are none of \p{L},
// \p{M}, \p{P}, \p{S} or \s, and are not followed by a letter or mark,
// start no match.
type deepSeekScanner struct{ t *classTable }

// AppendMatches implements Matcher.
func (m *deepSeekScanner) AppendMatches(dst []int, s string) ([]int, error) {
	for p := 0; p < len(s); {
		e, n := m.match(s, p)
		if e < 0 {
			p += n
			continue
		}
		dst = append(dst, p, e)
		p = e
	}
	return dst, nil
}

// asciiPunct holds the ASCII punctuation of the pattern's first class.
var asciiPunct = func() (set [utf8.RuneSelf]bool) {
	for _, b := range []byte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") {
		set[b] = true
	}
	return set
}()

func isASCIILetter(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }

// match returns the end of the match that starts at s[p], or -1 and the
// byte length of the rune at s[p].
func (m *deepSeekScanner) match(s string, p int) (int, int) {
	t := m.t
	b := s[p]
	if b < utf8.RuneSelf && asciiPunct[b] && p+1 < len(s) && isASCIILetter(s[p+1]) {
		e := p + 2
		for e < len(s) && isASCIILetter(s[e]) {
			e++
		}
		return e, 1
	}
	c0, n0 := t.at(s, p)
	if c0&(cL|cM) != 0 {
		// A mark is also a valid prefix rune, but taking it as the prefix
		// ends the match at the same place.
		return t.span(s, p+n0, cL|cM), n0
	}
	var c1 class
	n1 := 0
	if p+n0 < len(s) {
		c1, n1 = t.at(s, p+n0)
	}
	if c0&(cP|cS) == 0 && !isCRLF(b) && c1&(cL|cM) != 0 {
		return t.span(s, p+n0+n1, cL|cM), n0
	}
	if b == ' ' && c1&(cP|cS) != 0 {
		return spanBytes(s, t.span(s, p+1+n1, cP|cS), "\r\n"), n0
	}
	if c0&(cP|cS) != 0 {
		return spanBytes(s, t.span(s, p+n0, cP|cS), "\r\n"), n0
	}
	if c0&cSpace != 0 {
		return t.whitespace(s, p, n0, true), n0
	}
	return -1, n0
}
