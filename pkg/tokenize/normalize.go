package tokenize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/mlperf-tools/aggregator/pkg/tokenize/pretok"
)

// normalizer is one component of a tokenizer.json "normalizer". apply
// appends the normalized form of s to dst; sc holds per-Counter scratch
// (indexed by the slot numbers assigned at load).
type normalizer interface {
	apply(dst []byte, s string, sc *scratch) ([]byte, error)
	// keepsStart reports that the first normalized byte still maps to the
	// first original byte (no leading deletion or insertion), which the
	// Metaspace "first" prepend scheme depends on.
	keepsStart() bool
}

type formNorm struct{ form norm.Form }

func (n formNorm) apply(dst []byte, s string, sc *scratch) ([]byte, error) {
	return appendNormalized(dst, s, n.form, &sc.iter), nil
}
func (formNorm) keepsStart() bool { return true }

// prependNorm is HF's Prepend: prepends to non-empty strings.
type prependNorm struct{ prefix string }

func (n prependNorm) apply(dst []byte, s string, _ *scratch) ([]byte, error) {
	if s != "" {
		dst = append(dst, n.prefix...)
	}
	return append(dst, s...), nil
}
func (prependNorm) keepsStart() bool { return false }

// replaceNorm is HF's Replace: every match of the pattern (a literal or a
// regex, Oniguruma find_iter semantics) is replaced by content.
type replaceNorm struct {
	literal string
	re      pretok.Matcher
	content string
	slot    int
}

func (n replaceNorm) apply(dst []byte, s string, sc *scratch) ([]byte, error) {
	if s == "" {
		return dst, nil
	}
	if n.re == nil {
		for {
			i := strings.Index(s, n.literal)
			if i < 0 {
				return append(dst, s...), nil
			}
			dst = append(dst, s[:i]...)
			dst = append(dst, n.content...)
			s = s[i+len(n.literal):]
		}
	}
	m, err := n.re.AppendMatches(sc.ints[n.slot][:0], s)
	sc.ints[n.slot] = m
	if err != nil {
		return dst, err
	}
	prev := 0
	for k := 0; k+1 < len(m); k += 2 {
		dst = append(dst, s[prev:m[k]]...)
		dst = append(dst, n.content...)
		prev = m[k+1]
	}
	return append(dst, s[prev:]...), nil
}

func (n replaceNorm) keepsStart() bool {
	// A literal replaced by non-empty content keeps the start aligned.
	return n.re == nil && n.content != ""
}

// lowercaseNorm is Rust's char::to_lowercase applied per character.
type lowercaseNorm struct{}

func (lowercaseNorm) apply(dst []byte, s string, _ *scratch) ([]byte, error) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == 0x130 { // the only unconditional multi-rune lowercase mapping
			dst = append(dst, "i\u0307"...)
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst, nil
}
func (lowercaseNorm) keepsStart() bool { return true }

// stripNorm is HF's Strip: removes leading/trailing char::is_whitespace.
type stripNorm struct{ left, right bool }

func (n stripNorm) apply(dst []byte, s string, _ *scratch) ([]byte, error) {
	if n.left {
		s = strings.TrimLeftFunc(s, isWhiteSpace)
	}
	if n.right {
		s = strings.TrimRightFunc(s, isWhiteSpace)
	}
	return append(dst, s...), nil
}
func (n stripNorm) keepsStart() bool { return !n.left }

// stripAccentsNorm removes combining marks (general category M, as the
// library's tables have it: isCombiningMark).
type stripAccentsNorm struct{}

func (stripAccentsNorm) apply(dst []byte, s string, _ *scratch) ([]byte, error) {
	for _, r := range s {
		if !isCombiningMark(r) {
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst, nil
}
func (stripAccentsNorm) keepsStart() bool { return false }

// seqNorm applies its normalizers in order, through two scratch buffers.
type seqNorm struct {
	list []normalizer
	slot int // sc.bufs[slot] and sc.bufs[slot+1]
}

func (n seqNorm) apply(dst []byte, s string, sc *scratch) ([]byte, error) {
	if len(n.list) == 0 {
		return append(dst, s...), nil
	}
	cur := s
	for i, m := range n.list {
		if i == len(n.list)-1 {
			return m.apply(dst, cur, sc)
		}
		b := n.slot + i%2
		out, err := m.apply(sc.bufs[b][:0], cur, sc)
		sc.bufs[b] = out
		if err != nil {
			return dst, err
		}
		cur = unsafeString(out)
	}
	return dst, nil
}

func (n seqNorm) keepsStart() bool {
	for _, m := range n.list {
		if !m.keepsStart() {
			return false
		}
	}
	return true
}
