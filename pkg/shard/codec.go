package shard

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"unsafe"

	"github.com/mlperf-tools/aggregator/internal/msgp"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// headerLen is the size of the length prefix of a frame.
const headerLen = 4

// AppendFrame appends f as a whole frame (length prefix and msgpack
// payload) to dst. It fails with ErrFrameTooLarge, leaving dst as it was,
// when the payload would exceed MaxFrame.
func AppendFrame(dst []byte, f *Frame) ([]byte, error) {
	if f.Type == TypeCount {
		// The one frame that can be huge: refuse it before allocating.
		if n := countPayloadSize(f); n > MaxFrame {
			return dst, fmt.Errorf("%w: %q payload of %d bytes exceeds the %d-byte limit", ErrFrameTooLarge, f.Type, n, MaxFrame)
		}
	}
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = appendPayload(dst, f)
	n := len(dst) - start - headerLen
	if n > MaxFrame {
		return dst[:start], fmt.Errorf("%w: %q payload of %d bytes exceeds the %d-byte limit", ErrFrameTooLarge, f.Type, n, MaxFrame)
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(n))
	return dst, nil
}

// appendPayload appends the msgpack map of f: "t" first, then the keys of
// its type. A type this package does not know gets every non-zero field
// (tests use it to send unknown frames).
func appendPayload(dst []byte, f *Frame) []byte {
	switch f.Type {
	case TypeHello:
		dst = msgp.AppendMapLen(dst, 7)
		dst = appendKV(dst, "t", f.Type)
		dst = msgp.AppendInt(msgp.AppendStr(dst, "v"), int64(f.V))
		dst = msgp.AppendInt(msgp.AppendStr(dst, "pid"), int64(f.PID))
		dst = appendKV(dst, "tokenizer", f.Tokenizer)
		dst = msgp.AppendInt(msgp.AppendStr(dst, "procs"), int64(f.Procs))
		dst = appendKV(dst, "cpus", f.CPUs)
		dst = msgp.AppendMapLen(msgp.AppendStr(dst, "chat"), 4)
		dst = msgp.AppendBool(msgp.AppendStr(dst, "template"), f.Chat.Template)
		dst = msgp.AppendInt(msgp.AppendStr(dst, "prefix"), int64(f.Chat.Prefix))
		dst = msgp.AppendInt(msgp.AppendStr(dst, "baseline"), int64(f.Chat.Baseline))
		return appendKV(dst, "error", f.Chat.Error)
	case TypeCount:
		if f.Kinds == nil {
			dst = msgp.AppendMapLen(dst, 3)
		} else {
			dst = msgp.AppendMapLen(dst, 4)
		}
		dst = appendKV(dst, "t", f.Type)
		dst = msgp.AppendUint(msgp.AppendStr(dst, "id"), f.ID)
		return appendItems(dst, f.Texts, f.Kinds, true)
	case TypeCounts:
		if f.Rendered == nil && f.Fallbacks == nil {
			dst = msgp.AppendMapLen(dst, 4)
		} else {
			dst = msgp.AppendMapLen(dst, 6)
		}
		dst = appendKV(dst, "t", f.Type)
		dst = msgp.AppendUint(msgp.AppendStr(dst, "id"), f.ID)
		dst = msgp.AppendArrayLen(msgp.AppendStr(dst, "counts"), len(f.Counts))
		for _, c := range f.Counts {
			dst = msgp.AppendInt(dst, int64(c))
		}
		dst = appendOptStrs(msgp.AppendStr(dst, "errors"), f.Errors)
		if f.Rendered == nil && f.Fallbacks == nil {
			return dst
		}
		dst = msgp.AppendArrayLen(msgp.AppendStr(dst, "rendered"), len(f.Rendered))
		for _, r := range f.Rendered {
			dst = msgp.AppendBool(dst, r)
		}
		return appendOptStrs(msgp.AppendStr(dst, "fallbacks"), f.Fallbacks)
	case TypeShutdown:
		return appendKV(msgp.AppendMapLen(dst, 1), "t", f.Type)
	case TypeFatal:
		return appendKV(appendKV(msgp.AppendMapLen(dst, 2), "t", f.Type), "error", f.Error)
	case TypeError:
		dst = msgp.AppendMapLen(dst, 3)
		dst = appendKV(dst, "t", f.Type)
		dst = msgp.AppendUint(msgp.AppendStr(dst, "id"), f.ID)
		return appendKV(dst, "error", f.Error)
	}
	n := 1
	if f.ID != 0 {
		n++
	}
	if f.Texts != nil {
		n++
	}
	if f.Kinds != nil {
		n++
	}
	if f.Error != "" {
		n++
	}
	dst = appendKV(msgp.AppendMapLen(dst, n), "t", f.Type)
	if f.ID != 0 {
		dst = msgp.AppendUint(msgp.AppendStr(dst, "id"), f.ID)
	}
	dst = appendItems(dst, f.Texts, f.Kinds, f.Texts != nil)
	if f.Error != "" {
		dst = appendKV(dst, "error", f.Error)
	}
	return dst
}

// appendItems appends "texts" (when withTexts) and "kinds" (when kinds is
// not nil). An item whose kind is not KindText is a msgpack bin (a chat
// payload), every other item a str.
func appendItems(dst []byte, texts []string, kinds []tokwork.Kind, withTexts bool) []byte {
	if withTexts {
		dst = msgp.AppendArrayLen(msgp.AppendStr(dst, "texts"), len(texts))
		for i, s := range texts {
			if i < len(kinds) && kinds[i] != tokwork.Text {
				dst = msgp.AppendBin(dst, s)
			} else {
				dst = msgp.AppendStr(dst, s)
			}
		}
	}
	if kinds != nil {
		dst = msgp.AppendArrayLen(msgp.AppendStr(dst, "kinds"), len(kinds))
		for _, k := range kinds {
			dst = msgp.AppendUint(dst, uint64(k))
		}
	}
	return dst
}

// appendOptStrs appends an array of strings, "" as nil.
func appendOptStrs(dst []byte, ss []string) []byte {
	dst = msgp.AppendArrayLen(dst, len(ss))
	for _, e := range ss {
		if e == "" {
			dst = append(dst, 0xc0)
		} else {
			dst = msgp.AppendStr(dst, e)
		}
	}
	return dst
}

// countPayloadSize is the exact payload size of a count frame.
func countPayloadSize(f *Frame) int {
	n := 1 + strSize("t") + strSize(TypeCount) + strSize("id") + len(msgp.AppendUint(nil, f.ID)) + strSize("texts")
	n += len(msgp.AppendArrayLen(nil, len(f.Texts)))
	for i, s := range f.Texts {
		if i < len(f.Kinds) && f.Kinds[i] != tokwork.Text {
			n += binSize(s)
		} else {
			n += strSize(s)
		}
	}
	if f.Kinds != nil {
		n += strSize("kinds") + len(msgp.AppendArrayLen(nil, len(f.Kinds)))
		for _, k := range f.Kinds {
			n += len(msgp.AppendUint(nil, uint64(k)))
		}
	}
	return n
}

// binSize is the encoded size of a msgpack bin of s.
func binSize(s string) int {
	switch n := len(s); {
	case n <= math.MaxUint8:
		return 2 + n
	case n <= math.MaxUint16:
		return 3 + n
	default:
		return 5 + n
	}
}

// strSize is the encoded size of a msgpack str of s.
func strSize(s string) int {
	switch n := len(s); {
	case n < 32:
		return 1 + n
	case n <= math.MaxUint8:
		return 2 + n
	case n <= math.MaxUint16:
		return 3 + n
	default:
		return 5 + n
	}
}

func appendKV(dst []byte, k, v string) []byte { return msgp.AppendStr(msgp.AppendStr(dst, k), v) }

// Reader reads frames from a stream.
type Reader struct {
	r   *bufio.Reader
	hdr [headerLen]byte
}

// NewReader returns a Reader of the frames of r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10)}
}

// ReadFrame reads and decodes the next frame. It returns io.EOF when the
// stream ends cleanly between frames, io.ErrUnexpectedEOF (wrapped) when
// it ends inside one, ErrFrameTooLarge (wrapped) for a length beyond
// MaxFrame (nothing of that payload is read: the stream cannot be
// resynchronized), and a decode error for a malformed payload (the
// stream itself is still in sync).
//
// Each frame gets a freshly allocated payload buffer that is never reused,
// so the strings of the returned Frame alias it without copying.
func (r *Reader) ReadFrame() (*Frame, error) {
	payload, err := r.ReadPayload()
	if err != nil {
		return nil, err
	}
	return DecodeFrame(payload)
}

// ReadPayload reads the next frame's payload without decoding it (see
// ReadFrame for the errors).
func (r *Reader) ReadPayload() ([]byte, error) {
	if _, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("shard: truncated frame header: %w", err)
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(r.hdr[:])
	if n > MaxFrame {
		return nil, fmt.Errorf("%w: length prefix %d exceeds the %d-byte limit", ErrFrameTooLarge, n, MaxFrame)
	}
	payload := make([]byte, n)
	if got, err := io.ReadFull(r.r, payload); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("shard: truncated frame: %d of %d payload bytes: %w", got, n, err)
	}
	return payload, nil
}

// DecodeError is a malformed frame payload.
type DecodeError struct {
	Off int    // offset in the payload
	Msg string // what was wrong
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("shard: malformed frame at byte %d: %s", e.Off, e.Msg)
}

// DecodeFrame decodes one frame payload. Strings in the result alias
// payload. Unknown keys are skipped; a known key with a value of the wrong
// type, a non-map payload, trailing bytes or a missing "t" is an error
// (*DecodeError).
func DecodeFrame(payload []byte) (*Frame, error) {
	var d decoder
	d.Reset(payload)
	f := &Frame{}
	if err := d.frame(f); err != nil {
		var e *msgp.Error
		if errors.As(err, &e) {
			return nil, &DecodeError{Off: e.Off, Msg: e.Msg}
		}
		return nil, err
	}
	return f, nil
}

// decoder reads a frame payload. Its errors are *msgp.Error.
type decoder struct {
	msgp.Reader
}

// maxDepth bounds the nesting of skipped values.
const maxDepth = 64

func (d *decoder) frame(f *Frame) error {
	n, err := d.MapLen()
	if err != nil {
		return err
	}
	haveType := false
	for range n {
		key, err := d.str()
		if err != nil {
			return err
		}
		switch key {
		case "t":
			f.Type, err = d.str()
			haveType = true
		case "v":
			f.V, err = d.int()
		case "pid":
			f.PID, err = d.int()
		case "tokenizer":
			f.Tokenizer, err = d.str()
		case "procs":
			f.Procs, err = d.int()
		case "cpus":
			f.CPUs, err = d.str()
		case "chat":
			err = d.chat(&f.Chat)
		case "id":
			var v int64
			v, err = d.Int()
			if err == nil && v < 0 {
				err = d.Errorf("negative id %d", v)
			}
			f.ID = uint64(v)
		case "texts":
			// An item is a str (a text) or a bin (a chat payload); either
			// form is accepted for any item: its kind says what it is.
			f.Texts, err = array(d, d.strOrBin)
		case "kinds":
			f.Kinds, err = array(d, d.kind)
		case "rendered":
			f.Rendered, err = array(d, d.Bool)
		case "fallbacks":
			f.Fallbacks, err = array(d, d.optStr)
		case "counts":
			f.Counts, err = array(d, d.int)
		case "errors":
			f.Errors, err = array(d, d.optStr)
		case "error":
			f.Error, err = d.str()
		default:
			err = d.Skip(maxDepth)
		}
		if err != nil {
			return err
		}
	}
	if d.Len() != 0 {
		return d.Errorf("%d trailing bytes", d.Len())
	}
	if !haveType {
		return d.Errorf("no \"t\" key")
	}
	return nil
}

// chat decodes the hello's "chat" map; unknown keys are skipped.
func (d *decoder) chat(c *ChatInfo) error {
	n, err := d.MapLen()
	if err != nil {
		return err
	}
	for range n {
		key, err := d.str()
		if err != nil {
			return err
		}
		switch key {
		case "template":
			c.Template, err = d.Bool()
		case "prefix":
			c.Prefix, err = d.int()
		case "baseline":
			c.Baseline, err = d.int()
		case "error":
			c.Error, err = d.str()
		default:
			err = d.Skip(maxDepth - 1)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// array decodes an array whose elements elem decodes.
func array[T any](d *decoder, elem func() (T, error)) ([]T, error) {
	n, err := d.ArrayLen()
	if err != nil {
		return nil, err
	}
	out := make([]T, n)
	for i := range out {
		if out[i], err = elem(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// alias returns p as a string without copying: the payload is never
// reused, so the strings of a Frame may point into it.
func alias(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	return unsafe.String(&p[0], len(p))
}

func (d *decoder) str() (string, error) {
	p, err := d.StrBytes()
	return alias(p), err
}

func (d *decoder) strOrBin() (string, error) {
	p, err := d.Bytes()
	return alias(p), err
}

// optStr decodes a str or nil ("").
func (d *decoder) optStr() (string, error) {
	if d.TryNil() {
		return "", nil
	}
	s, err := d.str()
	if err == nil && s == "" {
		// An empty error string would read as success: keep it an error.
		s = "error"
	}
	return s, err
}

func (d *decoder) int() (int, error) {
	v, err := d.Int()
	if err == nil && (v > math.MaxInt || v < math.MinInt) {
		return 0, d.Errorf("integer %d out of range", v)
	}
	return int(v), err
}

func (d *decoder) kind() (tokwork.Kind, error) {
	v, err := d.Int()
	if err == nil && (v < 0 || v > math.MaxUint8) {
		return 0, d.Errorf("item kind %d out of range", v)
	}
	return tokwork.Kind(v), err
}
