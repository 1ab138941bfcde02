package events

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mlperf-tools/aggregator/internal/msgp"
)

// TranscodeJSONRecord appends to dst the msgpack payload equivalent to one
// line of upstream's events.jsonl (msgspec JSON of an EventRecord), so a
// replay goes through exactly the same DecodePayload path as live frames.
// Key order is preserved; integers become msgpack ints, numbers with '.',
// 'e' or 'E' float64, strings are unescaped to UTF-8, and headers are the
// minimal ones msgspec would write. Leading and trailing JSON whitespace is
// allowed; anything else after the value is an error.
func TranscodeJSONRecord(line []byte, dst []byte) ([]byte, error) {
	t := transcoder{in: line, out: dst}
	t.ws()
	if err := t.value(0); err != nil {
		return dst, fmt.Errorf("transcode json record: %w", err)
	}
	t.ws()
	if t.pos != len(t.in) {
		return dst, fmt.Errorf("transcode json record: trailing characters at byte %d", t.pos)
	}
	return t.out, nil
}

type transcoder struct {
	in  []byte
	pos int
	out []byte
}

func (t *transcoder) ws() {
	for t.pos < len(t.in) {
		switch t.in[t.pos] {
		case ' ', '\t', '\n', '\r':
			t.pos++
		default:
			return
		}
	}
}

func (t *transcoder) errorf(format string, args ...any) error {
	return fmt.Errorf("byte %d: %s", t.pos, fmt.Sprintf(format, args...))
}

func (t *transcoder) lit(s string, b byte) error {
	if len(t.in)-t.pos < len(s) || string(t.in[t.pos:t.pos+len(s)]) != s {
		return t.errorf("invalid literal")
	}
	t.pos += len(s)
	t.out = append(t.out, b)
	return nil
}

func (t *transcoder) value(depth int) error {
	if depth > maxDepth {
		return t.errorf("nesting too deep")
	}
	if t.pos >= len(t.in) {
		return t.errorf("unexpected end of input")
	}
	switch c := t.in[t.pos]; {
	case c == '{':
		return t.container(depth, '}', true)
	case c == '[':
		return t.container(depth, ']', false)
	case c == '"':
		return t.str()
	case c == 't':
		return t.lit("true", mpTrue)
	case c == 'f':
		return t.lit("false", mpFalse)
	case c == 'n':
		return t.lit("null", mpNil)
	case c == '-' || c >= '0' && c <= '9':
		return t.number()
	default:
		return t.errorf("unexpected character %q", c)
	}
}

// container transcodes an object or array. The header is written as a
// 5-byte placeholder and shrunk to the minimal form once the count is known.
func (t *transcoder) container(depth int, end byte, isMap bool) error {
	t.pos++
	hdr := len(t.out)
	t.out = append(t.out, 0, 0, 0, 0, 0)
	n := 0
	t.ws()
	if t.pos < len(t.in) && t.in[t.pos] == end {
		t.pos++
	} else {
		for {
			t.ws()
			if isMap {
				if t.pos >= len(t.in) || t.in[t.pos] != '"' {
					return t.errorf("expected object key")
				}
				if err := t.str(); err != nil {
					return err
				}
				t.ws()
				if t.pos >= len(t.in) || t.in[t.pos] != ':' {
					return t.errorf("expected ':'")
				}
				t.pos++
				t.ws()
			}
			if err := t.value(depth + 1); err != nil {
				return err
			}
			n++
			t.ws()
			if t.pos >= len(t.in) {
				return t.errorf("unexpected end of input")
			}
			if t.in[t.pos] == ',' {
				t.pos++
				continue
			}
			if t.in[t.pos] == end {
				t.pos++
				break
			}
			return t.errorf("expected ',' or %q", end)
		}
	}
	var h [5]byte
	var hb []byte
	if isMap {
		hb = msgp.AppendMapLen(h[:0], n)
	} else {
		hb = msgp.AppendArrayLen(h[:0], n)
	}
	body := len(t.out) - hdr - 5
	copy(t.out[hdr:], hb)
	copy(t.out[hdr+len(hb):], t.out[hdr+5:])
	t.out = t.out[:hdr+len(hb)+body]
	return nil
}

// str transcodes a JSON string into a msgpack str.
func (t *transcoder) str() error {
	t.pos++ // opening quote
	start := t.pos
	// Fast path: no escapes.
	for t.pos < len(t.in) {
		c := t.in[t.pos]
		if c == '"' {
			s := t.in[start:t.pos]
			if !utf8.Valid(s) {
				return t.errorf("invalid UTF-8 in string")
			}
			t.out = msgp.AppendStrHeader(t.out, len(s))
			t.out = append(t.out, s...)
			t.pos++
			return nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		t.pos++
	}
	// Slow path: unescape into a scratch area after the output, then move.
	t.pos = start
	var buf []byte
	for {
		if t.pos >= len(t.in) {
			return t.errorf("unterminated string")
		}
		c := t.in[t.pos]
		switch {
		case c == '"':
			t.pos++
			if !utf8.Valid(buf) {
				return t.errorf("invalid UTF-8 in string")
			}
			t.out = msgp.AppendStrHeader(t.out, len(buf))
			t.out = append(t.out, buf...)
			return nil
		case c < 0x20:
			return t.errorf("control character in string")
		case c != '\\':
			buf = append(buf, c)
			t.pos++
			continue
		}
		t.pos++
		if t.pos >= len(t.in) {
			return t.errorf("unterminated escape")
		}
		e := t.in[t.pos]
		t.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, err := t.hex4()
			if err != nil {
				return err
			}
			if utf16.IsSurrogate(r) {
				if r >= 0xdc00 || len(t.in)-t.pos < 6 || t.in[t.pos] != '\\' || t.in[t.pos+1] != 'u' {
					return t.errorf("unpaired surrogate")
				}
				t.pos += 2
				r2, err := t.hex4()
				if err != nil {
					return err
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return t.errorf("unpaired surrogate")
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return t.errorf("invalid escape %q", e)
		}
	}
}

func (t *transcoder) hex4() (rune, error) {
	if len(t.in)-t.pos < 4 {
		return 0, t.errorf("short \\u escape")
	}
	v, err := strconv.ParseUint(string(t.in[t.pos:t.pos+4]), 16, 32)
	if err != nil {
		return 0, t.errorf("invalid \\u escape")
	}
	t.pos += 4
	return rune(v), nil
}

// number transcodes a JSON number: an integer to the minimal msgpack int,
// anything with a fraction or exponent to float64.
func (t *transcoder) number() error {
	start := t.pos
	isFloat := false
	if t.in[t.pos] == '-' {
		t.pos++
	}
	digits := t.pos
	for t.pos < len(t.in) {
		c := t.in[t.pos]
		switch {
		case c >= '0' && c <= '9':
		case c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-':
			isFloat = true
		default:
			goto done
		}
		t.pos++
	}
done:
	s := string(t.in[start:t.pos])
	if t.pos == digits || (t.in[digits] == '0' && t.pos > digits+1 && t.in[digits+1] >= '0' && t.in[digits+1] <= '9') {
		return t.errorf("invalid number %q", s)
	}
	if isFloat {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return t.errorf("invalid number %q", s)
		}
		t.out = binary.BigEndian.AppendUint64(append(t.out, mpFloat64), math.Float64bits(f))
		return nil
	}
	if s[0] == '-' {
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return t.errorf("integer %s out of range", s)
		}
		t.out = msgp.AppendInt(t.out, i)
		return nil
	}
	u, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return t.errorf("integer %s out of range", s)
	}
	t.out = msgp.AppendUint(t.out, u)
	return nil
}
