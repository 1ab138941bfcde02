package pretok

// Llama3Pattern is the Split pattern of Llama-3 and Llama-3.1 (and of the
// Hugging Face conversions of tiktoken's cl100k_base).
const Llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// Qwen2Pattern is the Split pattern of Qwen2, Qwen2.5 and Qwen3: Llama-3's
// with single-digit numbers.
const Qwen2Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// Qwen35Pattern is Qwen2Pattern with combining marks kept in words.
const Qwen35Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// llama3Scanner matches the Llama-3 family of patterns:
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?LETTER+|\p{N}{1,max}|
//	 ?[^\s\p{N}LETTER]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// where LETTER is \p{L} or [\p{L}\p{M}]. Every rune starts a match.
type llama3Scanner struct {
	t         *classTable
	letters   class // the LETTER class
	notPunct  class // \s, \p{N} and LETTER: what the punctuation run stops at
	maxDigits int
}

func newLlama3(letters class, maxDigits int) *llama3Scanner {
	return &llama3Scanner{t: classes(), letters: letters, notPunct: cSpace | cN | letters, maxDigits: maxDigits}
}

// AppendMatches implements Matcher.
func (m *llama3Scanner) AppendMatches(dst []int, s string) ([]int, error) {
	for p := 0; p < len(s); {
		e := m.match(s, p)
		dst = append(dst, p, e)
		p = e
	}
	return dst, nil
}

// match returns the end of the match that starts at s[p].
func (m *llama3Scanner) match(s string, p int) int {
	t := m.t
	b := s[p]
	if b == '\'' {
		if n := contraction(s, p, true); n > 0 {
			return p + n
		}
	}
	c0, n0 := t.at(s, p)
	if c0&m.letters != 0 {
		// A mark is also a valid prefix rune, but taking it as the prefix
		// ends the match at the same place.
		return t.span(s, p+n0, m.letters)
	}
	if c0&cN != 0 {
		return t.spanMax(s, p+n0, cN, m.maxDigits-1)
	}
	var c1 class
	n1 := 0
	if p+n0 < len(s) {
		c1, n1 = t.at(s, p+n0)
	}
	if c1&m.letters != 0 && !isCRLF(b) {
		return t.span(s, p+n0+n1, m.letters) // prefix rune, then the word
	}
	if b == ' ' && n1 > 0 && c1&m.notPunct == 0 {
		return spanBytes(s, t.spanNot(s, p+1+n1, m.notPunct), "\r\n")
	}
	if c0&m.notPunct == 0 {
		return spanBytes(s, t.spanNot(s, p+n0, m.notPunct), "\r\n")
	}
	return t.whitespace(s, p, n0, true)
}
