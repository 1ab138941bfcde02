// Package jsonstr decodes JSON string literals. It is the one unquoting
// routine of the repository's JSON readers: events.jsonl transcoding
// (pkg/events), Python's json.loads (pkg/pyvalue), tokenizer.json
// (pkg/tokenize) and the JSON lines of `aggregator tokens count`.
//
// The readers differ only in what a lone UTF-16 surrogate escape means:
// serde_json and msgspec refuse it, Python's json.loads keeps it in a str
// that can then not be encoded. Unquote reports how many it saw and lets
// the caller decide.
package jsonstr

import (
	"fmt"
	"unicode/utf8"
)

// Error is a malformed string literal; Offset counts bytes from the
// opening quote.
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("%s at offset %d of the string", e.Msg, e.Offset) }

// Unquote decodes the JSON string literal at the start of s (s[0] must be
// '"') and appends its contents to dst. It returns the extended dst, the
// length n of the literal in s (through the closing quote) and the number
// of lone surrogates: \uD800-\uDFFF escapes that are not a high-low pair,
// each appended as U+FFFD. Bytes other than escapes are copied as they are
// (the caller validates UTF-8 where it must); a control character, a bad
// escape or a missing closing quote is an *Error.
func Unquote[S string | []byte](dst []byte, s S) (out []byte, n, lone int, err error) {
	if len(s) == 0 || s[0] != '"' {
		return dst, 0, 0, &Error{0, "not a string literal"}
	}
	i := 1
	start := i
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return append(dst, s[start:i]...), i + 1, lone, nil
		case c < 0x20:
			return dst, 0, 0, &Error{i, "control character in string"}
		case c != '\\':
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		if i+1 >= len(s) {
			break
		}
		e := s[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s, i)
			if !ok {
				return dst, 0, 0, &Error{i - 2, `invalid \u escape`}
			}
			i += 4
			switch {
			case r < 0xD800 || r > 0xDFFF:
			case r <= 0xDBFF && i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u':
				if lo, ok := hex4(s, i+2); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
					i += 6
					break
				}
				lone++ // the next escape is decoded on its own
				r = utf8.RuneError
			default:
				lone++
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, 0, 0, &Error{i - 2, fmt.Sprintf("invalid escape \\%c", e)}
		}
		start = i
	}
	return dst, 0, 0, &Error{len(s), "unterminated string"}
}

// hex4 reads four hex digits at s[i:].
func hex4[S string | []byte](s S, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte{s[i], s[i+1], s[i+2], s[i+3]} {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

const hexDigits = "0123456789abcdef"

// Append appends s as a JSON string literal, escaped as one of the two
// encoders the wire formats follow:
//   - ensureASCII (Python's json.dumps default, final_snapshot.json): \" \\
//     \n \r \t \b \f by name, every other byte outside printable ASCII as
//     \uXXXX (lowercase hex), runes above the BMP as a UTF-16 surrogate
//     pair, invalid UTF-8 as \ufffd (a Python str cannot hold it);
//   - otherwise (msgspec): '"', '\' and the control characters below 0x20
//     escaped the same way (\u00xx for those without a name), everything
//     else, DEL and non-ASCII included, copied as is.
func Append(dst []byte, s string, ensureASCII bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && (c < 0x7f || !ensureASCII) {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		i++
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			if c < utf8.RuneSelf {
				dst = appendU4(dst, rune(c))
				break
			}
			r, size := utf8.DecodeRuneInString(s[i-1:])
			i += size - 1
			if r > 0xffff {
				r -= 0x10000
				dst = appendU4(dst, 0xd800|(r>>10)&0x3ff)
				dst = appendU4(dst, 0xdc00|r&0x3ff)
			} else {
				dst = appendU4(dst, r)
			}
		}
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendU4(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}
