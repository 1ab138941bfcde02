package pretok

import "unicode/utf8"

// O200kPattern is the Split pattern of gpt-oss (tiktoken's o200k_base, as
// in GPT-4o).
const O200kPattern = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// TekkenPattern is the Split pattern of Mistral's Tekken tokenizers (Mistral
// NeMo and later, Nemotron): O200kPattern without contractions and with
// single-digit numbers.
const TekkenPattern = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// o200kScanner matches the o200k family of patterns:
//
//	PRE?UPPER*LOWER+CONTRACTION?|PRE?UPPER+LOWER*CONTRACTION?|\p{N}{1,max}|
//	 ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// with PRE = [^\r\n\p{L}\p{N}], UPPER = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] (cU),
// LOWER = [\p{Ll}\p{Lm}\p{Lo}\p{M}] (cW) and CONTRACTION = the optional
// (?i:'s|'t|'re|'ve|'m|'ll|'d). Every rune starts a match.
type o200kScanner struct {
	t            *classTable
	contractions bool
	maxDigits    int
}

func newO200k(contractions bool, maxDigits int) *o200kScanner {
	return &o200kScanner{t: classes(), contractions: contractions, maxDigits: maxDigits}
}

// AppendMatches implements Matcher.
func (m *o200kScanner) AppendMatches(dst []int, s string) ([]int, error) {
	for p := 0; p < len(s); {
		e := m.match(s, p)
		dst = append(dst, p, e)
		p = e
	}
	return dst, nil
}

// match returns the end of the match that starts at s[p]. The two word
// alternatives are tried in the regex's backtracking order: the first with
// the prefix rune, then without it, then the second likewise. (Only a
// combining mark can be both the prefix and part of the word.)
func (m *o200kScanner) match(s string, p int) int {
	t := m.t
	b := s[p]
	c0, n0 := t.at(s, p)
	prefix := c0&(cL|cN) == 0 && !isCRLF(b) && p+n0 < len(s)
	if prefix {
		if e := m.upperLower(s, p+n0); e >= 0 {
			return e
		}
	}
	if c0&(cU|cW) != 0 {
		if e := m.upperLower(s, p); e >= 0 {
			return e
		}
	}
	if prefix {
		if e := m.upperPlus(s, p+n0); e >= 0 {
			return e
		}
	}
	if c0&cU != 0 {
		if e := m.upperPlus(s, p); e >= 0 {
			return e
		}
	}
	if c0&cN != 0 {
		return t.spanMax(s, p+n0, cN, m.maxDigits-1)
	}
	const notPunct = cSpace | cL | cN
	if b == ' ' && p+1 < len(s) {
		if c1, n1 := t.at(s, p+1); c1&notPunct == 0 {
			return spanBytes(s, t.spanNot(s, p+1+n1, notPunct), "\r\n/")
		}
	}
	if c0&notPunct == 0 {
		return spanBytes(s, t.spanNot(s, p+n0, notPunct), "\r\n/")
	}
	return t.whitespace(s, p, n0, true)
}

// upperLower returns the end of the match of UPPER*LOWER+CONTRACTION? at
// s[a], or -1. UPPER* takes the whole UPPER run and gives runes back until
// LOWER+ can start: at the rune after the run if that is \p{Ll}, else at
// the run's last LOWER rune (\p{Lm}, \p{Lo} or \p{M}), whose LOWER run then
// ends at the next rune (\p{Lu}, \p{Lt} or the rune after the run).
func (m *o200kScanner) upperLower(s string, a int) int {
	t := m.t
	i, lowerEnd := a, -1
	for i < len(s) {
		c, n := t.ascii[s[i]&0x7f], 1 // the ASCII fast path of t.at, inlined
		if s[i] >= utf8.RuneSelf {
			c, n = t.atMulti(s, i)
		}
		if c&cU == 0 {
			if c&cW != 0 {
				return m.contraction(s, t.span(s, i+n, cW))
			}
			break
		}
		if c&cW != 0 {
			lowerEnd = i + n
		}
		i += n
	}
	if lowerEnd < 0 {
		return -1
	}
	return m.contraction(s, lowerEnd)
}

// upperPlus returns the end of the match of UPPER+LOWER*CONTRACTION? at
// s[a], or -1.
func (m *o200kScanner) upperPlus(s string, a int) int {
	t := m.t
	u := t.span(s, a, cU)
	if u == a {
		return -1
	}
	return m.contraction(s, t.span(s, u, cW))
}

// contraction extends a word match ending at e by an optional contraction.
func (m *o200kScanner) contraction(s string, e int) int {
	if m.contractions {
		return e + contraction(s, e, true)
	}
	return e
}
