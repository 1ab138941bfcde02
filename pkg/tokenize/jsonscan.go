package tokenize

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/mlperf-tools/aggregator/internal/jsonstr"
)

// jsonScanner is a minimal JSON reader for the large parts of a
// tokenizer.json (the BPE vocab and merges): encoding/json needs well over
// the load-time budget for a 128k-vocab file, this reads it in one pass.
// Small parts are handed to encoding/json as raw spans.
type jsonScanner struct {
	data    []byte
	pos     int
	scratch []byte // unquoting buffer, reused
}

func (s *jsonScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("json offset %d: %s", s.pos, fmt.Sprintf(format, args...))
}

func (s *jsonScanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *jsonScanner) peek() byte {
	s.ws()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

func (s *jsonScanner) expect(c byte) error {
	if s.peek() != c {
		return s.errorf("expected %q", c)
	}
	s.pos++
	return nil
}

// literal consumes lit (true, false, null).
func (s *jsonScanner) literal(lit string) bool {
	if s.pos+len(lit) <= len(s.data) && string(s.data[s.pos:s.pos+len(lit)]) == lit {
		s.pos += len(lit)
		return true
	}
	return false
}

// str reads a JSON string, decoding escapes like serde_json: a lone
// surrogate or invalid UTF-8 is an error.
func (s *jsonScanner) str() (string, error) {
	if err := s.expect('"'); err != nil {
		return "", err
	}
	s.pos-- // Unquote reads the literal from its opening quote
	buf, n, lone, err := jsonstr.Unquote(s.scratch[:0], s.data[s.pos:])
	if err != nil {
		var je *jsonstr.Error
		if errors.As(err, &je) {
			s.pos += je.Offset
			return "", s.errorf("%s", je.Msg)
		}
		return "", s.errorf("%v", err)
	}
	s.scratch = buf
	if lone > 0 {
		return "", s.errorf("lone surrogate in string")
	}
	if !utf8.Valid(buf) {
		return "", s.errorf("invalid UTF-8 in string")
	}
	s.pos += n
	return string(buf), nil
}

// uint32 reads a non-negative integer that fits u32.
func (s *jsonScanner) uint32() (uint32, error) {
	s.ws()
	start := s.pos
	for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
		s.pos++
	}
	if start == s.pos {
		return 0, s.errorf("expected an unsigned integer")
	}
	if s.pos < len(s.data) && (s.data[s.pos] == '.' || s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		return 0, s.errorf("expected an unsigned integer")
	}
	v, err := strconv.ParseUint(string(s.data[start:s.pos]), 10, 32)
	if err != nil {
		return 0, s.errorf("integer out of u32 range")
	}
	return uint32(v), nil
}

// skip skips one value and returns its span.
func (s *jsonScanner) skip() ([]byte, error) {
	c := s.peek()
	start := s.pos
	switch {
	case c == '"':
		if _, err := s.str(); err != nil {
			return nil, err
		}
	case c == '{' || c == '[':
		depth := 0
		for s.pos < len(s.data) {
			switch s.data[s.pos] {
			case '"':
				if _, err := s.str(); err != nil {
					return nil, err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.pos++
					return s.data[start:s.pos], nil
				}
			}
			s.pos++
		}
		return nil, s.errorf("unterminated value")
	case c == 't':
		if !s.literal("true") {
			return nil, s.errorf("bad literal")
		}
	case c == 'f':
		if !s.literal("false") {
			return nil, s.errorf("bad literal")
		}
	case c == 'n':
		if !s.literal("null") {
			return nil, s.errorf("bad literal")
		}
	case c == '-' || (c >= '0' && c <= '9'):
		s.pos++
		for s.pos < len(s.data) {
			d := s.data[s.pos]
			if (d >= '0' && d <= '9') || d == '.' || d == 'e' || d == 'E' || d == '+' || d == '-' {
				s.pos++
				continue
			}
			break
		}
	default:
		return nil, s.errorf("unexpected character")
	}
	return s.data[start:s.pos], nil
}

// object calls fn for each key of an object; fn must consume the value.
func (s *jsonScanner) object(fn func(key string) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		key, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.errorf("expected ',' or '}'")
		}
	}
}

// array calls fn for each element; fn must consume the element.
func (s *jsonScanner) array(fn func(i int) error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for i := 0; ; i++ {
		if err := fn(i); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.errorf("expected ',' or ']'")
		}
	}
}

var errNotString = errors.New("not a string")

// strOrNull reads a string or null (nil, nil).
func (s *jsonScanner) strOrNull() (*string, error) {
	if s.peek() == 'n' {
		if !s.literal("null") {
			return nil, s.errorf("bad literal")
		}
		return nil, nil
	}
	if s.peek() != '"' {
		return nil, errNotString
	}
	v, err := s.str()
	return &v, err
}

// strBytes reads a JSON string without allocating when it has no escapes
// (the result then aliases the input).
func (s *jsonScanner) strBytes() ([]byte, error) {
	if err := s.expect('"'); err != nil {
		return nil, err
	}
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if c == '"' {
			v := s.data[start:s.pos]
			s.pos++
			if !utf8.Valid(v) {
				return nil, s.errorf("invalid UTF-8 in string")
			}
			return v, nil
		}
		if c == '\\' {
			s.pos = start - 1 // decode the literal from its opening quote
			v, err := s.str()
			return []byte(v), err
		}
		if c < 0x20 {
			return nil, s.errorf("control character in string")
		}
		s.pos++
	}
	return nil, s.errorf("unterminated string")
}
