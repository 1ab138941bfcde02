package pyvalue

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"

	"github.com/mlperf-tools/aggregator/internal/jsonstr"
)

// maxPyJSONDepth approximates where CPython's json.loads hits the
// recursion limit (RecursionError, which upstream does not catch).
const maxPyJSONDepth = 990

// ErrUnencodable is returned (with the parsed value) when json.loads
// succeeds but msgspec cannot encode the result (a lone surrogate, an
// integer beyond 64 bits): upstream then raises while building the
// fallback text.
var ErrUnencodable = errors.New("parsed JSON holds a value msgspec cannot encode")

// ErrTooDeep stands for CPython's RecursionError in json.loads, which
// upstream's normalizer does not catch.
var ErrTooDeep = errors.New("JSON nested too deeply (RecursionError)")

// ParsePythonJSON parses s the way Python's json.loads does and returns
// the value msgspec would then encode: objects keep first-occurrence key
// order with the last value of a duplicated key; NaN, Infinity and
// -Infinity (and float overflow) become floats. Any other error is a
// JSONDecodeError, except ErrTooDeep; ErrUnencodable comes with the parsed
// value (integers beyond 64 bits, lone surrogates).
func ParsePythonJSON(s string) (Value, error) {
	p := pyParser{s: s}
	p.ws()
	v, err := p.value(0)
	if err != nil {
		return Value{}, err
	}
	p.ws()
	if p.i != len(p.s) {
		return Value{}, fmt.Errorf("extra data at %d", p.i)
	}
	if p.unencodable {
		return v, ErrUnencodable
	}
	return v, nil
}

type pyParser struct {
	s           string
	i           int
	unencodable bool
}

func (p *pyParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *pyParser) errf(format string, a ...any) error {
	return fmt.Errorf("json at %d: %s", p.i, fmt.Sprintf(format, a...))
}

func (p *pyParser) lit(word string) bool {
	if len(p.s)-p.i >= len(word) && p.s[p.i:p.i+len(word)] == word {
		p.i += len(word)
		return true
	}
	return false
}

func (p *pyParser) value(depth int) (Value, error) {
	if depth > maxPyJSONDepth {
		return Value{}, ErrTooDeep
	}
	if p.i >= len(p.s) {
		return Value{}, p.errf("expecting value")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.str()
		return Str(s), err
	case c == 'n' && p.lit("null"):
		return Nil(), nil
	case c == 't' && p.lit("true"):
		return Bool(true), nil
	case c == 'f' && p.lit("false"):
		return Bool(false), nil
	case c == 'N' && p.lit("NaN"):
		return Float(math.NaN()), nil
	case c == 'I' && p.lit("Infinity"):
		return Float(math.Inf(1)), nil
	case c == '-' && p.lit("-Infinity"):
		return Float(math.Inf(-1)), nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return Value{}, p.errf("expecting value")
}

func (p *pyParser) object(depth int) (Value, error) {
	p.i++ // {
	v := Value{Kind: KindMap, Map: []KV{}}
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return v, nil
	}
	for {
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return v, p.errf("expecting property name")
		}
		k, err := p.str()
		if err != nil {
			return v, err
		}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return v, p.errf("expecting ':'")
		}
		p.i++
		p.ws()
		val, err := p.value(depth + 1)
		if err != nil {
			return v, err
		}
		v.Set(Str(k), val)
		p.ws()
		if p.i >= len(p.s) {
			return v, p.errf("unterminated object")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return v, nil
		default:
			return v, p.errf("expecting ',' delimiter")
		}
	}
}

func (p *pyParser) array(depth int) (Value, error) {
	p.i++ // [
	v := Value{Kind: KindArray, Array: []Value{}}
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return v, nil
	}
	for {
		p.ws()
		e, err := p.value(depth + 1)
		if err != nil {
			return v, err
		}
		v.Array = append(v.Array, e)
		p.ws()
		if p.i >= len(p.s) {
			return v, p.errf("unterminated array")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return v, nil
		default:
			return v, p.errf("expecting ',' delimiter")
		}
	}
}

// str parses a string (strict: no raw control characters). A lone
// surrogate is kept by Python but cannot be encoded later: it reads as
// U+FFFD here and marks the result unencodable.
func (p *pyParser) str() (string, error) {
	out, n, lone, err := jsonstr.Unquote(nil, p.s[p.i:])
	if err != nil {
		var je *jsonstr.Error
		if errors.As(err, &je) {
			p.i += je.Offset
			return "", p.errf("%s", je.Msg)
		}
		return "", p.errf("%v", err)
	}
	p.i += n
	if lone > 0 {
		p.unencodable = true
	}
	return string(out), nil
}

// number parses -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? as Python
// does: an int without fraction and exponent, else a float (overflow to
// ±inf, as float() does).
func (p *pyParser) number() (Value, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.s) && p.s[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		p.i = start
		return Value{}, p.errf("expecting value")
	}
	isFloat := false
	if p.i+1 < len(p.s) && p.s[p.i] == '.' && p.s[p.i+1] >= '0' && p.s[p.i+1] <= '9' {
		p.i++
		digits()
		isFloat = true
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		save := p.i
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			p.i = save // Python's regex leaves the 'e' unconsumed
		} else {
			isFloat = true
		}
	}
	lit := p.s[start:p.i]
	if isFloat {
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return Value{}, p.errf("bad number %q", lit)
		}
		return Float(f), nil
	}
	if i, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return Int(i), nil
	}
	if u, err := strconv.ParseUint(lit, 10, 64); err == nil {
		return Value{Kind: KindUint, Uint: u}, nil
	}
	if _, ok := new(big.Int).SetString(lit, 10); ok {
		p.unencodable = true // a Python int msgspec cannot encode
		return Int(0), nil
	}
	return Value{}, p.errf("bad number %q", lit)
}
