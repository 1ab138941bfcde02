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
