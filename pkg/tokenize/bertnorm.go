package tokenize

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// bertNorm is HF's BertNormalizer: clean_text (drop NUL, U+FFFD and
// control characters, every whitespace → ' '), handle_chinese_chars
// (spaces around CJK ideographs), strip_accents (NFD, then drop nonspacing
// marks; a null strip_accents follows lowercase) and lowercase, in that
// order.
type bertNorm struct {
	clean, chinese, strip, lower bool
	slot                         int // sc.bufs[slot], sc.bufs[slot+1]
}

func (n bertNorm) apply(dst []byte, s string, sc *scratch) ([]byte, error) {
	cur := s
	buf := 0 // the scratch buffer the next stage writes to
	if n.clean || n.chinese {
		b := sc.bufs[n.slot][:0]
		for _, r := range cur {
			if n.clean {
				if r == 0 || r == 0xFFFD || (r != '\t' && r != '\n' && r != '\r' && isOtherCategory(r)) {
					continue
				}
				if isWhiteSpace(r) {
					r = ' '
				}
			}
			if n.chinese && isChineseChar(r) {
				b = append(b, ' ')
				b = utf8.AppendRune(b, r)
				b = append(b, ' ')
				continue
			}
			b = utf8.AppendRune(b, r)
		}
		sc.bufs[n.slot] = b
		cur = unsafeString(b)
		buf = 1
	}
	if n.strip {
		d := appendNormalized(sc.bufs[n.slot+buf][:0], cur, norm.NFD, &sc.iter)
		sc.bufs[n.slot+buf] = d
		b := sc.bufs[n.slot+1-buf][:0]
		for _, r := range unsafeString(d) {
			if !isNonspacingMark(r) {
				b = utf8.AppendRune(b, r)
			}
		}
		sc.bufs[n.slot+1-buf] = b
		cur = unsafeString(b)
	}
	if n.lower {
		return lowercaseNorm{}.apply(dst, cur, sc)
	}
	return append(dst, cur...), nil
}

// keepsStart: clean_text and strip_accents delete leading characters
// through NormalizedString::filter, which moves the start's alignment.
func (n bertNorm) keepsStart() bool { return !n.clean && !n.strip }

// nmtNorm is HF's Nmt normalizer: drops some ASCII control characters and
// maps other whitespace-like code points to ' '.
type nmtNorm struct{}

func (nmtNorm) apply(dst []byte, s string, _ *scratch) ([]byte, error) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case (c >= 0x01 && c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F:
				continue
			case c == '\t' || c == '\n' || c == '\f' || c == '\r':
				c = ' '
			}
			dst = append(dst, c)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == 0x8F || r == 0x9F:
			continue
		case r == 0x1680 || (r >= 0x200B && r <= 0x200F) || r == 0x2028 || r == 0x2029 || r == 0x2581 || r == 0xFEFF || r == 0xFFFD:
			dst = append(dst, ' ')
			continue
		}
		dst = append(dst, s[i-size:i]...)
	}
	return dst, nil
}

// keepsStart: the filter moves the start past deleted leading characters.
func (nmtNorm) keepsStart() bool { return false }

// byteLevelNorm is HF's ByteLevel normalizer: every byte of the text
// becomes its character of the ByteLevel alphabet.
type byteLevelNorm struct{}

func (byteLevelNorm) apply(dst []byte, s string, _ *scratch) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		dst = append(dst, bytesCharStr[s[i]]...)
	}
	return dst, nil
}
func (byteLevelNorm) keepsStart() bool { return true }
