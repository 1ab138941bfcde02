// Package msgp reads MessagePack values from a byte slice.
//
// It holds the low-level reading shared by the hand-written decoders of
// pkg/shard and pkg/snapshot: type headers, scalars, and skipping a value
// of any type. Callers read their own schema with it. Strings and bytes
// are returned as views of the buffer, and no method allocates except to
// build an error.
package msgp

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Error is a malformed or truncated input.
type Error struct {
	Off int    // offset in the buffer
	Msg string // what was wrong
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("offset %d: %s", e.Off, e.Msg)
}

// Reader is a cursor over one msgpack buffer. Every method that fails
// returns an *Error. The zero Reader reads an empty buffer.
type Reader struct {
	b   []byte
	off int
}

// Reset makes r read b from its start.
func (r *Reader) Reset(b []byte) {
	r.b = b
	r.off = 0
}

// Offset returns the offset of the next byte to read.
func (r *Reader) Offset() int { return r.off }

// Len returns the number of unread bytes.
func (r *Reader) Len() int { return len(r.b) - r.off }

// Errorf returns an *Error at the current offset.
func (r *Reader) Errorf(format string, args ...any) error {
	return &Error{Off: r.off, Msg: fmt.Sprintf(format, args...)}
}

// wrongType steps back over the type byte c and reports it.
func (r *Reader) wrongType(want string, c byte) error {
	r.off--
	return r.Errorf("want %s, got type byte 0x%02x", want, c)
}

// Peek returns the type byte of the next value without consuming it.
func (r *Reader) Peek() (byte, error) {
	if r.off >= len(r.b) {
		return 0, r.truncated(1)
	}
	return r.b[r.off], nil
}

// truncated reports that n more bytes are needed.
func (r *Reader) truncated(n uint64) error {
	return r.Errorf("truncated: need %d bytes, have %d", n, r.Len())
}

// code consumes a type byte.
func (r *Reader) code() (byte, error) {
	c, err := r.Peek()
	if err == nil {
		r.off++
	}
	return c, err
}

// uintN reads a big-endian unsigned integer of size 1, 2, 4 or 8 bytes.
func (r *Reader) uintN(size int) (uint64, error) {
	if r.Len() < size {
		return 0, r.truncated(uint64(size))
	}
	p := r.b[r.off : r.off+size]
	r.off += size
	switch size {
	case 1:
		return uint64(p[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(p)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(p)), nil
	}
	return binary.BigEndian.Uint64(p), nil
}

// TryNil consumes a nil if one is next and reports whether it did.
func (r *Reader) TryNil() bool {
	if r.off < len(r.b) && r.b[r.off] == 0xc0 {
		r.off++
		return true
	}
	return false
}

// Bool reads a bool.
func (r *Reader) Bool() (bool, error) {
	c, err := r.code()
	if err != nil {
		return false, err
	}
	switch c {
	case 0xc2:
		return false, nil
	case 0xc3:
		return true, nil
	}
	return false, r.wrongType("bool", c)
}

// Int reads an int of any width that fits int64.
func (r *Reader) Int() (int64, error) {
	c, err := r.code()
	if err != nil {
		return 0, err
	}
	switch {
	case c <= 0x7f:
		return int64(c), nil
	case c >= 0xe0:
		return int64(int8(c)), nil
	case c >= 0xcc && c <= 0xcf: // uint8..uint64
		u, err := r.uintN(1 << (c - 0xcc))
		if err == nil && u > math.MaxInt64 {
			return 0, r.Errorf("int %d overflows int64", u)
		}
		return int64(u), err
	case c >= 0xd0 && c <= 0xd3: // int8..int64
		size := 1 << (c - 0xd0)
		u, err := r.uintN(size)
		shift := 64 - 8*size
		return int64(u<<shift) >> shift, err
	}
	return 0, r.wrongType("int", c)
}

// Uint reads an int of any width that fits uint64: a negative one is an
// error.
func (r *Reader) Uint() (uint64, error) {
	if r.off < len(r.b) && r.b[r.off] == 0xcf {
		r.off++
		return r.uintN(8)
	}
	v, err := r.Int()
	if err == nil && v < 0 {
		return 0, r.Errorf("int %d is negative", v)
	}
	return uint64(v), err
}

// Float reads a float32 or float64, or an int converted to float64 (as
// msgspec and vmihailenco/msgpack accept ints for float fields).
func (r *Reader) Float() (float64, error) {
	c, err := r.code()
	if err != nil {
		return 0, err
	}
	switch {
	case c == 0xca:
		u, err := r.uintN(4)
		return float64(math.Float32frombits(uint32(u))), err
	case c == 0xcb:
		u, err := r.uintN(8)
		return math.Float64frombits(u), err
	case c == 0xcf:
		u, err := r.uintN(8)
		return float64(u), err
	case c <= 0x7f, c >= 0xe0, c >= 0xcc && c <= 0xd3: // an int
		r.off--
		v, err := r.Int()
		return float64(v), err
	}
	return 0, r.wrongType("float", c)
}

// StrBytes reads a str. The result aliases the buffer.
func (r *Reader) StrBytes() ([]byte, error) { return r.strOrBin(false) }

// Bytes reads a str or a bin. The result aliases the buffer.
func (r *Reader) Bytes() ([]byte, error) { return r.strOrBin(true) }

// Str reads a str into a new string.
func (r *Reader) Str() (string, error) {
	p, err := r.StrBytes()
	return string(p), err
}

// strOrBin reads a str, or a bin where bin permits one.
func (r *Reader) strOrBin(bin bool) ([]byte, error) {
	c, err := r.code()
	if err != nil {
		return nil, err
	}
	var n uint64
	switch {
	case c&0xe0 == 0xa0: // fixstr
		n = uint64(c & 0x1f)
	case c >= 0xd9 && c <= 0xdb: // str8..str32
		n, err = r.uintN(1 << (c - 0xd9))
	case bin && c >= 0xc4 && c <= 0xc6: // bin8..bin32
		n, err = r.uintN(1 << (c - 0xc4))
	case bin:
		return nil, r.wrongType("str or bin", c)
	default:
		return nil, r.wrongType("str", c)
	}
	if err != nil {
		return nil, err
	}
	if n > uint64(r.Len()) {
		return nil, r.truncated(n)
	}
	p := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return p, nil
}

// ArrayLen reads an array header and returns the number of elements. A
// count the unread bytes cannot hold (every element takes at least one)
// is an error, so the caller may allocate for it.
func (r *Reader) ArrayLen() (int, error) {
	c, err := r.code()
	if err != nil {
		return 0, err
	}
	var n uint64
	switch {
	case c&0xf0 == 0x90:
		n = uint64(c & 0x0f)
	case c == 0xdc:
		n, err = r.uintN(2)
	case c == 0xdd:
		n, err = r.uintN(4)
	default:
		return 0, r.wrongType("array", c)
	}
	if err != nil {
		return 0, err
	}
	if n > uint64(r.Len()) {
		return 0, r.Errorf("truncated: array of %d elements in %d bytes", n, r.Len())
	}
	return int(n), nil
}

// MapLen reads a map header and returns the number of entries. A count
// the unread bytes cannot hold (every entry takes at least two) is an
// error, so the caller may allocate for it.
func (r *Reader) MapLen() (int, error) {
	c, err := r.code()
	if err != nil {
		return 0, err
	}
	var n uint64
	switch {
	case c&0xf0 == 0x80:
		n = uint64(c & 0x0f)
	case c == 0xde:
		n, err = r.uintN(2)
	case c == 0xdf:
		n, err = r.uintN(4)
	default:
		return 0, r.wrongType("map", c)
	}
	if err != nil {
		return 0, err
	}
	if 2*n > uint64(r.Len()) {
		return 0, r.Errorf("truncated: map of %d entries in %d bytes", n, r.Len())
	}
	return int(n), nil
}

// Skip skips one value of any type, checking only its structure. Values
// nested more than maxDepth levels inside it (the elements of an array or
// map are one level in) are an error, which bounds the recursion.
func (r *Reader) Skip(maxDepth int) error {
	if maxDepth < 0 {
		return r.Errorf("values nested too deep")
	}
	c, err := r.code()
	if err != nil {
		return err
	}
	var size, elems uint64 // bytes to skip, values to skip
	switch {
	case c <= 0x7f, c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3:
		return nil
	case c&0xe0 == 0xa0: // fixstr
		size = uint64(c & 0x1f)
	case c&0xf0 == 0x90: // fixarray
		elems = uint64(c & 0x0f)
	case c&0xf0 == 0x80: // fixmap
		elems = 2 * uint64(c&0x0f)
	case c >= 0xc4 && c <= 0xc6: // bin8..bin32
		size, err = r.uintN(1 << (c - 0xc4))
	case c >= 0xc7 && c <= 0xc9: // ext8..ext32: length, then a type byte
		size, err = r.uintN(1 << (c - 0xc7))
		size++
	case c == 0xca:
		size = 4
	case c == 0xcb:
		size = 8
	case c >= 0xcc && c <= 0xcf: // uint8..uint64
		size = 1 << (c - 0xcc)
	case c >= 0xd0 && c <= 0xd3: // int8..int64
		size = 1 << (c - 0xd0)
	case c >= 0xd4 && c <= 0xd8: // fixext1..fixext16, plus the type byte
		size = 1<<(c-0xd4) + 1
	case c >= 0xd9 && c <= 0xdb: // str8..str32
		size, err = r.uintN(1 << (c - 0xd9))
	case c == 0xdc, c == 0xdd: // array16, array32
		elems, err = r.uintN(2 << (c - 0xdc))
	case c == 0xde, c == 0xdf: // map16, map32
		elems, err = r.uintN(2 << (c - 0xde))
		elems *= 2
	default: // 0xc1: never used
		r.off--
		return r.Errorf("invalid type byte 0x%02x", c)
	}
	if err != nil {
		return err
	}
	if size > uint64(r.Len()) {
		return r.truncated(size)
	}
	if elems > uint64(r.Len()) {
		return r.Errorf("truncated: %d values in %d bytes", elems, r.Len())
	}
	r.off += int(size)
	for range elems {
		if err := r.Skip(maxDepth - 1); err != nil {
			return err
		}
	}
	return nil
}
