package events

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// maxDepth bounds container nesting. msgspec guards every nested container
// with Py_EnterRecursiveCall and raises RecursionError (not a DecodeError,
// so upstream drops the payload) somewhere around Python's recursion limit;
// the exact depth depends on the interpreter, so this is an approximation.
const maxDepth = 1000

// msgpack opcodes used by the reader and the encoders.
const (
	mpNil      = 0xc0
	mpNever    = 0xc1
	mpFalse    = 0xc2
	mpTrue     = 0xc3
	mpBin8     = 0xc4
	mpBin16    = 0xc5
	mpBin32    = 0xc6
	mpExt8     = 0xc7
	mpExt16    = 0xc8
	mpExt32    = 0xc9
	mpFloat32  = 0xca
	mpFloat64  = 0xcb
	mpUint8    = 0xcc
	mpUint16   = 0xcd
	mpUint32   = 0xce
	mpUint64   = 0xcf
	mpInt8     = 0xd0
	mpInt16    = 0xd1
	mpInt32    = 0xd2
	mpInt64    = 0xd3
	mpFixExt1  = 0xd4
	mpFixExt2  = 0xd5
	mpFixExt4  = 0xd6
	mpFixExt8  = 0xd7
	mpFixExt16 = 0xd8
	mpStr8     = 0xd9
	mpStr16    = 0xda
	mpStr32    = 0xdb
	mpArray16  = 0xdc
	mpArray32  = 0xdd
	mpMap16    = 0xde
	mpMap32    = 0xdf
)

// DecodeError says why an EventRecord payload (or a batch envelope) was
// rejected.
//
// Upstream's codec turns a msgspec.DecodeError into an error.generic record,
// but re-raises every other exception, which the subscriber's reader
// callback lets escape: that payload is then dropped (logged by asyncio)
// without any record. Raised marks those cases so the daemon can do the
// same; see the package documentation of Decoder for the list.
type DecodeError struct {
	Field  string // where the problem was found, e.g. "data[2]" or "event_type"
	Msg    string // what was wrong
	Raised bool   // upstream raises a non-DecodeError here (payload dropped)
}

// Error implements error.
func (e *DecodeError) Error() string {
	kind := "malformed"
	if e.Raised {
		kind = "undecodable"
	}
	if e.Field == "" {
		return fmt.Sprintf("%s payload: %s", kind, e.Msg)
	}
	return fmt.Sprintf("%s payload: decode %s: %s", kind, e.Field, e.Msg)
}

// reader is a bounds-checked msgpack cursor over a byte slice. Every method
// returns a *DecodeError on failure; the success path never allocates.
type reader struct {
	b     []byte
	pos   int
	field string // current top-level field, for error context
}

func (r *reader) fail(format string, args ...any) error {
	return &DecodeError{Field: r.field, Msg: fmt.Sprintf(format, args...)}
}

func (r *reader) raise(format string, args ...any) error {
	return &DecodeError{Field: r.field, Msg: fmt.Sprintf(format, args...), Raised: true}
}

func (r *reader) truncated() error { return r.fail("input data was truncated") }

// typeName names the msgpack type introduced by opcode op, in msgspec's words.
func typeName(op byte) string {
	switch {
	case op <= 0x7f || op >= 0xe0:
		return "int"
	case op >= 0xa0 && op <= 0xbf:
		return "str"
	case op >= 0x90 && op <= 0x9f:
		return "array"
	case op >= 0x80 && op <= 0x8f:
		return "object"
	}
	switch op {
	case mpNil:
		return "null"
	case mpTrue, mpFalse:
		return "bool"
	case mpUint8, mpUint16, mpUint32, mpUint64, mpInt8, mpInt16, mpInt32, mpInt64:
		return "int"
	case mpFloat32, mpFloat64:
		return "float"
	case mpStr8, mpStr16, mpStr32:
		return "str"
	case mpBin8, mpBin16, mpBin32:
		return "bytes"
	case mpArray16, mpArray32:
		return "array"
	case mpMap16, mpMap32:
		return "object"
	case mpExt8, mpExt16, mpExt32, mpFixExt1, mpFixExt2, mpFixExt4, mpFixExt8, mpFixExt16:
		return "ext"
	}
	return "invalid"
}

func (r *reader) peek() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.truncated()
	}
	return r.b[r.pos], nil
}

func (r *reader) take(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.pos {
		return nil, r.truncated()
	}
	s := r.b[r.pos : r.pos+n : r.pos+n]
	r.pos += n
	return s, nil
}

func (r *reader) size(width int) (int, error) {
	s, err := r.take(width)
	if err != nil {
		return 0, err
	}
	switch width {
	case 1:
		return int(s[0]), nil
	case 2:
		return int(binary.BigEndian.Uint16(s)), nil
	default:
		return int(binary.BigEndian.Uint32(s)), nil
	}
}

// strLen reads a str header and returns its length, or ok=false (nothing
// consumed) when the next value is not a str.
func (r *reader) strLen(op byte) (int, bool, error) {
	switch {
	case op >= 0xa0 && op <= 0xbf:
		r.pos++
		return int(op & 0x1f), true, nil
	case op == mpStr8:
		r.pos++
		n, err := r.size(1)
		return n, true, err
	case op == mpStr16:
		r.pos++
		n, err := r.size(2)
		return n, true, err
	case op == mpStr32:
		r.pos++
		n, err := r.size(4)
		return n, true, err
	}
	return 0, false, nil
}

// readRawStr reads a str without UTF-8 validation, as msgspec does for
// struct keys and tags (they are compared as bytes).
func (r *reader) readRawStr() ([]byte, error) {
	op, err := r.peek()
	if err != nil {
		return nil, err
	}
	n, ok, err := r.strLen(op)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, r.fail("expected `str`, got `%s`", typeName(op))
	}
	return r.take(n)
}

// readStr reads a str field. Invalid UTF-8 is "raised": msgspec lets
// Python's UnicodeDecodeError escape instead of wrapping it in a
// DecodeError.
func (r *reader) readStr() ([]byte, error) {
	s, err := r.readRawStr()
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(s) {
		return nil, r.raise("invalid UTF-8 in str")
	}
	return s, nil
}

// tryNil consumes a nil and reports whether there was one.
func (r *reader) tryNil() (bool, error) {
	op, err := r.peek()
	if err != nil {
		return false, err
	}
	if op == mpNil {
		r.pos++
		return true, nil
	}
	return false, nil
}

// readInt reads any msgpack integer. big is set (and v is meaningless) when
// the value is a uint64 above MaxInt64, which Python accepts as an int.
func (r *reader) readInt() (v int64, u uint64, big bool, err error) {
	op, err := r.peek()
	if err != nil {
		return 0, 0, false, err
	}
	if op <= 0x7f || op >= 0xe0 {
		r.pos++
		return int64(int8(op)), 0, false, nil
	}
	var s []byte
	switch op {
	case mpUint8, mpInt8:
		r.pos++
		if s, err = r.take(1); err != nil {
			return
		}
		if op == mpUint8 {
			return int64(s[0]), 0, false, nil
		}
		return int64(int8(s[0])), 0, false, nil
	case mpUint16, mpInt16:
		r.pos++
		if s, err = r.take(2); err != nil {
			return
		}
		x := binary.BigEndian.Uint16(s)
		if op == mpUint16 {
			return int64(x), 0, false, nil
		}
		return int64(int16(x)), 0, false, nil
	case mpUint32, mpInt32:
		r.pos++
		if s, err = r.take(4); err != nil {
			return
		}
		x := binary.BigEndian.Uint32(s)
		if op == mpUint32 {
			return int64(x), 0, false, nil
		}
		return int64(int32(x)), 0, false, nil
	case mpUint64, mpInt64:
		r.pos++
		if s, err = r.take(8); err != nil {
			return
		}
		x := binary.BigEndian.Uint64(s)
		if op == mpUint64 && x > math.MaxInt64 {
			return 0, x, true, nil
		}
		return int64(x), 0, false, nil
	}
	return 0, 0, false, r.fail("expected `int`, got `%s`", typeName(op))
}

// arrayLen reads an array header, or ok=false (nothing consumed) when the
// next value is not an array.
func (r *reader) arrayLen(op byte) (int, bool, error) {
	switch {
	case op >= 0x90 && op <= 0x9f:
		r.pos++
		return int(op & 0x0f), true, nil
	case op == mpArray16:
		r.pos++
		n, err := r.size(2)
		return n, true, err
	case op == mpArray32:
		r.pos++
		n, err := r.size(4)
		return n, true, err
	}
	return 0, false, nil
}

// mapLen reads a map header, or ok=false (nothing consumed) when the next
// value is not a map.
func (r *reader) mapLen(op byte) (int, bool, error) {
	switch {
	case op >= 0x80 && op <= 0x8f:
		r.pos++
		return int(op & 0x0f), true, nil
	case op == mpMap16:
		r.pos++
		n, err := r.size(2)
		return n, true, err
	case op == mpMap32:
		r.pos++
		n, err := r.size(4)
		return n, true, err
	}
	return 0, false, nil
}

// readArrayLen reads an array header or fails naming what was found.
func (r *reader) readArrayLen() (int, error) {
	op, err := r.peek()
	if err != nil {
		return 0, err
	}
	n, ok, err := r.arrayLen(op)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, r.fail("expected `array`, got `%s`", typeName(op))
	}
	return n, nil
}

// readMapLen reads a map header or fails naming what was found.
func (r *reader) readMapLen() (int, error) {
	op, err := r.peek()
	if err != nil {
		return 0, err
	}
	n, ok, err := r.mapLen(op)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, r.fail("expected `object`, got `%s`", typeName(op))
	}
	return n, nil
}

// extLen reads an ext header (length and type code), or ok=false when the
// next value is not an ext.
func (r *reader) extLen(op byte) (n int, code int8, ok bool, err error) {
	switch op {
	case mpFixExt1, mpFixExt2, mpFixExt4, mpFixExt8, mpFixExt16:
		r.pos++
		n = 1 << (op - mpFixExt1)
	case mpExt8, mpExt16, mpExt32:
		r.pos++
		if n, err = r.size(1 << (op - mpExt8)); err != nil {
			return
		}
	default:
		return 0, 0, false, nil
	}
	var s []byte
	if s, err = r.take(1); err != nil {
		return
	}
	return n, int8(s[0]), true, nil
}

// skip advances over one value, checking only its structure (msgspec's
// mpack_skip: unknown keys and ignored trailing array fields are not
// validated any further).
func (r *reader) skip(depth int) error {
	op, err := r.peek()
	if err != nil {
		return err
	}
	if op <= 0x7f || op >= 0xe0 || op == mpNil || op == mpTrue || op == mpFalse {
		r.pos++
		return nil
	}
	if n, ok, err := r.strLen(op); ok || err != nil {
		if err != nil {
			return err
		}
		_, err = r.take(n)
		return err
	}
	if n, ok, err := r.arrayLen(op); ok || err != nil {
		if err != nil {
			return err
		}
		return r.skipN(n, depth)
	}
	if n, ok, err := r.mapLen(op); ok || err != nil {
		if err != nil {
			return err
		}
		return r.skipN(2*n, depth)
	}
	if n, _, ok, err := r.extLen(op); ok || err != nil {
		if err != nil {
			return err
		}
		_, err = r.take(n)
		return err
	}
	r.pos++
	switch op {
	case mpUint8, mpInt8:
		_, err = r.take(1)
	case mpUint16, mpInt16:
		_, err = r.take(2)
	case mpUint32, mpInt32, mpFloat32:
		_, err = r.take(4)
	case mpUint64, mpInt64, mpFloat64:
		_, err = r.take(8)
	case mpBin8, mpBin16, mpBin32:
		var n int
		if n, err = r.size(1 << (op - mpBin8)); err == nil {
			_, err = r.take(n)
		}
	default:
		r.pos--
		return r.fail("invalid opcode '\\x%02x' (byte %d)", op, r.pos)
	}
	return err
}

func (r *reader) skipN(n, depth int) error {
	if n == 0 {
		return nil
	}
	if depth+1 > maxDepth {
		return r.raise("maximum recursion depth exceeded")
	}
	for i := 0; i < n; i++ {
		if err := r.skip(depth + 1); err != nil {
			return err
		}
	}
	return nil
}

// anyValue validates one value decoded as typing.Any, the way msgspec
// builds the Python object: str must be UTF-8, ext -1 must be a valid
// timestamp, map keys must be hashable (arrays in key position become
// tuples; dicts and msgspec.msgpack.Ext are unhashable). It reports whether
// the value is hashable when isKey is set.
func (r *reader) anyValue(depth int, isKey bool) (hashable bool, err error) {
	op, err := r.peek()
	if err != nil {
		return false, err
	}
	switch {
	case op <= 0x7f || op >= 0xe0 || op == mpNil || op == mpTrue || op == mpFalse:
		r.pos++
		return true, nil
	case op >= 0xa0 && op <= 0xbf || op == mpStr8 || op == mpStr16 || op == mpStr32:
		_, err := r.readStr()
		return true, err
	case op >= 0x90 && op <= 0x9f || op == mpArray16 || op == mpArray32:
		n, _, err := r.arrayLen(op)
		if err != nil {
			return false, err
		}
		if n > 0 && depth+1 > maxDepth {
			return false, r.raise("maximum recursion depth exceeded")
		}
		hashable = isKey
		for i := 0; i < n; i++ {
			h, err := r.anyValue(depth+1, isKey)
			if err != nil {
				return false, err
			}
			hashable = hashable && h
		}
		return hashable, nil
	case op >= 0x80 && op <= 0x8f || op == mpMap16 || op == mpMap32:
		n, _, err := r.mapLen(op)
		if err != nil {
			return false, err
		}
		if n > 0 && depth+1 > maxDepth {
			return false, r.raise("maximum recursion depth exceeded")
		}
		for i := 0; i < n; i++ {
			kh, err := r.anyValue(depth+1, true)
			if err != nil {
				return false, err
			}
			if _, err := r.anyValue(depth+1, false); err != nil {
				return false, err
			}
			if !kh {
				return false, r.raise("unhashable map key")
			}
		}
		return false, nil
	}
	if n, code, ok, err := r.extLen(op); ok || err != nil {
		if err != nil {
			return false, err
		}
		data, err := r.take(n)
		if err != nil {
			return false, err
		}
		if code != -1 {
			return false, nil // msgspec.msgpack.Ext: no __hash__
		}
		if _, _, msg, raised := pyvalue.DecodeTimestamp(data); msg != "" {
			if raised {
				return false, r.raise("%s", msg)
			}
			return false, r.fail("%s", msg)
		}
		return true, nil
	}
	r.pos++
	var err2 error
	switch op {
	case mpUint8, mpInt8:
		_, err2 = r.take(1)
	case mpUint16, mpInt16:
		_, err2 = r.take(2)
	case mpUint32, mpInt32, mpFloat32:
		_, err2 = r.take(4)
	case mpUint64, mpInt64, mpFloat64:
		_, err2 = r.take(8)
	case mpBin8, mpBin16, mpBin32:
		var n int
		if n, err2 = r.size(1 << (op - mpBin8)); err2 == nil {
			_, err2 = r.take(n)
		}
	default:
		r.pos--
		return false, r.fail("invalid opcode '\\x%02x' (byte %d)", op, r.pos)
	}
	return true, err2
}

// strDict validates a dict[str, Any]: a map whose keys are str (UTF-8
// checked) and whose values are Any.
func (r *reader) strDict(depth int) error {
	n, err := r.readMapLen()
	if err != nil {
		return err
	}
	if n > 0 && depth+1 > maxDepth {
		return r.raise("maximum recursion depth exceeded")
	}
	for i := 0; i < n; i++ {
		if _, err := r.readStr(); err != nil {
			return err
		}
		if _, err := r.anyValue(depth+1, false); err != nil {
			return err
		}
	}
	return nil
}
