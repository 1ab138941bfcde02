package pretok

// GPT2Pattern is the pattern the ByteLevel pre-tokenizer splits with when
// its use_regex option is set (GPT-2's original pattern).
const GPT2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// gpt2Scanner matches GPT2Pattern. Every rune starts a match.
type gpt2Scanner struct{ t *classTable }

// AppendMatches implements Matcher.
func (m *gpt2Scanner) AppendMatches(dst []int, s string) ([]int, error) {
	for p := 0; p < len(s); {
		e := m.match(s, p)
		dst = append(dst, p, e)
		p = e
	}
	return dst, nil
}

// match returns the end of the match that starts at s[p].
func (m *gpt2Scanner) match(s string, p int) int {
	t := m.t
	b := s[p]
	if b == '\'' {
		if n := contraction(s, p, false); n > 0 {
			return p + n
		}
	}
	i := p
	if b == ' ' && p+1 < len(s) {
		i = p + 1 // try the optional space of the next three alternatives
	}
	c, n := t.at(s, i)
	switch {
	case c&cL != 0:
		return t.span(s, i+n, cL)
	case c&cN != 0:
		return t.span(s, i+n, cN)
	case c&cSpace == 0:
		return t.spanNot(s, i+n, cL|cN|cSpace)
	}
	if i != p {
		n = 1 // the space itself starts the whitespace alternatives
	}
	return t.whitespace(s, p, n, false)
}
