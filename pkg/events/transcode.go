package events

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/mlperf-tools/aggregator/internal/jsonstr"
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

// str transcodes a JSON string into a msgpack str. A lone surrogate
// escape is refused, as msgspec refuses it.
func (t *transcoder) str() error {
	start := t.pos
	// Decode after the output, then move behind the str header.
	mark := len(t.out)
	out, n, lone, err := jsonstr.Unquote(t.out, t.in[t.pos:])
	if err != nil {
		var je *jsonstr.Error
		if errors.As(err, &je) {
			t.pos = start + je.Offset
			return t.errorf("%s", je.Msg)
		}
		return t.errorf("%v", err)
	}
	t.out = out
	if lone > 0 {
		return t.errorf("unpaired surrogate")
	}
	body := t.out[mark:]
	if !utf8.Valid(body) {
		return t.errorf("invalid UTF-8 in string")
	}
	t.pos = start + n
	var hb [5]byte
	h := msgp.AppendStrHeader(hb[:0], len(body))
	t.out = append(t.out, h...) // grow by the header
	copy(t.out[mark+len(h):], t.out[mark:mark+len(body)])
	copy(t.out[mark:], h)
	return nil
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
