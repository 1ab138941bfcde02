package events

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// refDecoder is an independent EventRecord decoder built on
// vmihailenco/msgpack/v5's low-level Decoder API. It implements the same
// msgspec rules as the hand-written reader and serves as the oracle of the
// differential tests and as the baseline of the benchmarks.
type refDecoder struct {
	br  bytes.Reader
	d   *msgpack.Decoder
	buf []byte
	now func() int64
}

type refErr struct {
	raised bool
	msg    string
}

func (e *refErr) Error() string { return e.msg }

func refFail(format string, args ...any) error {
	return &refErr{msg: fmt.Sprintf(format, args...)}
}

func refRaise(format string, args ...any) error {
	return &refErr{raised: true, msg: fmt.Sprintf(format, args...)}
}

// wrap turns a msgpack library error (truncation) into a malformed error.
func wrap(err error) error {
	var re *refErr
	if err == nil || errors.As(err, &re) {
		return err
	}
	return &refErr{msg: err.Error()}
}

func newRefDecoder(now func() int64) *refDecoder {
	r := &refDecoder{now: now}
	r.d = msgpack.NewDecoder(&r.br)
	return r
}

func (r *refDecoder) pos() int { return int(r.br.Size()) - r.br.Len() }

// decodeFrame mirrors Decoder.DecodeFrame.
func (r *refDecoder) decodeFrame(frame []byte, b *Batch) error {
	if len(frame) >= TopicSize && bytes.Equal(frame[:TopicSize], batchTopic[:]) {
		env := frame[TopicSize:]
		return r.decodeBatchItems(env, b)
	}
	if len(frame) <= TopicSize {
		return nil
	}
	r.decodeInto(frame[TopicSize:], b)
	return nil
}

// decodeBatchItems validates the envelope (array of bin, nothing after it)
// before decoding any item, as msgspec's list[bytes] decode does.
func (r *refDecoder) decodeBatchItems(env []byte, b *Batch) error {
	r.br.Reset(env)
	r.d.Reset(&r.br)
	corrupt := func(msg string) error { return fmt.Errorf("%w: %s", ErrCorruptBatch, msg) }
	c, err := r.d.PeekCode()
	if err != nil || !isArrayCode(c) {
		return corrupt("not an array")
	}
	n, err := r.d.DecodeArrayLen()
	if err != nil {
		return corrupt(err.Error())
	}
	type span struct{ a, b int }
	var spans []span
	for i := 0; i < n; i++ {
		c, err := r.d.PeekCode()
		if err != nil || !msgpcode.IsBin(c) {
			return corrupt("item is not bin")
		}
		l, err := r.d.DecodeBytesLen()
		if err != nil {
			return corrupt(err.Error())
		}
		s := r.pos()
		if l > len(env)-s {
			return corrupt("truncated item")
		}
		if _, err := r.br.Seek(int64(l), 1); err != nil {
			return err
		}
		spans = append(spans, span{s, s + l})
	}
	if r.pos() != len(env) {
		return corrupt("trailing characters")
	}
	for _, sp := range spans {
		if sp.b > sp.a {
			r.decodeInto(env[sp.a:sp.b], b)
		}
	}
	return nil
}

func (r *refDecoder) decodeInto(p []byte, b *Batch) {
	rec := b.next()
	r.decodePayload(p, rec)
	if rec.Err != nil {
		if rec.Type == TypeUnknown {
			b.Dropped++
		} else {
			b.Malformed++
		}
	}
}

func (r *refDecoder) decodePayload(p []byte, rec *Record) {
	rec.Reset()
	err := r.record(p, rec)
	if err != nil {
		var re *refErr
		raised := errors.As(err, &re) && re.raised
		*rec = Record{Type: ErrorGeneric, DataKind: DataErrorData, TokenIDs: -1, TimestampNs: r.now(),
			Err: &DecodeError{Field: "ref", Msg: err.Error(), Raised: raised}}
		if raised {
			rec.Type, rec.DataKind = TypeUnknown, DataNone
		}
		return
	}
	if !rec.hasTimestamp {
		rec.TimestampNs = r.now()
	}
}

func (r *refDecoder) record(p []byte, rec *Record) error {
	r.br.Reset(p)
	r.d.Reset(&r.br)
	c, err := r.d.PeekCode()
	if err != nil {
		return wrap(err)
	}
	if !isMapCode(c) {
		return refFail("expected object")
	}
	n, err := r.d.DecodeMapLen()
	if err != nil {
		return wrap(err)
	}
	hasType := false
	for i := 0; i < n; i++ {
		key, err := r.rawStr()
		if err != nil {
			return err
		}
		switch string(key) {
		case "event_type":
			c, err := r.d.PeekCode()
			if err != nil {
				return wrap(err)
			}
			start := r.pos()
			if _, err := r.any(1, false); err != nil {
				return err
			}
			if !isStrCode(c) {
				return refRaise("event_type not a str")
			}
			sub := newRefSub(p[start:r.pos()])
			s, _ := sub.DecodeString()
			t, ok := ParseType([]byte(s))
			if !ok {
				return refFail("unknown topic")
			}
			rec.Type, hasType = t, true
		case "timestamp_ns":
			v, big, err := r.int()
			if err != nil {
				return err
			}
			if big {
				return refFail("timestamp too big")
			}
			rec.TimestampNs, rec.hasTimestamp = v, true
		case "sample_uuid":
			if rec.SampleUUID, err = r.str(p); err != nil {
				return err
			}
		case "conversation_id":
			if rec.ConversationID, err = r.str(p); err != nil {
				return err
			}
		case "turn":
			c, err := r.d.PeekCode()
			if err != nil {
				return wrap(err)
			}
			rec.Turn, rec.HasTurn = 0, false
			if c == msgpcode.Nil {
				_ = r.d.Skip()
			} else {
				v, big, err := r.int()
				if err != nil {
					return err
				}
				if big {
					v = math.MaxInt64
				}
				rec.Turn, rec.HasTurn = v, true
			}
		case "finish_reason":
			if rec.FinishReason, err = r.str(p); err != nil {
				return err
			}
			rec.HasFinish = true
		case "worker_id":
			v, big, err := r.int()
			if err != nil {
				return err
			}
			if big {
				v = math.MaxInt64
			}
			rec.WorkerID, rec.HasWorkerID = v, true
		case "data":
			if err := r.data(p, rec); err != nil {
				return err
			}
		default:
			if err := r.skip(1); err != nil {
				return err
			}
		}
	}
	if !hasType {
		return refFail("missing event_type")
	}
	if r.br.Len() != 0 {
		return refFail("trailing characters")
	}
	return nil
}

func newRefSub(b []byte) *msgpack.Decoder { return msgpack.NewDecoder(bytes.NewReader(b)) }

func isMapCode(c byte) bool {
	return msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32
}
func isArrayCode(c byte) bool {
	return msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32
}
func isStrCode(c byte) bool {
	return msgpcode.IsFixedString(c) || msgpcode.IsString(c) && !msgpcode.IsBin(c)
}
func isIntCode(c byte) bool {
	if msgpcode.IsFixedNum(c) {
		return true
	}
	switch c {
	case msgpcode.Uint8, msgpcode.Uint16, msgpcode.Uint32, msgpcode.Uint64,
		msgpcode.Int8, msgpcode.Int16, msgpcode.Int32, msgpcode.Int64:
		return true
	}
	return false
}

// rawStr reads a str without UTF-8 validation (struct keys and tags).
func (r *refDecoder) rawStr() ([]byte, error) {
	c, err := r.d.PeekCode()
	if err != nil {
		return nil, wrap(err)
	}
	if !isStrCode(c) {
		return nil, refFail("expected str")
	}
	n, err := r.d.DecodeBytesLen()
	if err != nil {
		return nil, wrap(err)
	}
	if n > r.br.Len() {
		return nil, refFail("truncated")
	}
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	b := r.buf[:n]
	if err := r.d.ReadFull(b); err != nil {
		return nil, wrap(err)
	}
	return b, nil
}

// str reads a UTF-8 checked str and returns it as a slice of p.
func (r *refDecoder) str(p []byte) ([]byte, error) {
	b, err := r.rawStr()
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(b) {
		return nil, refRaise("invalid utf-8")
	}
	end := r.pos()
	return p[end-len(b) : end : end], nil
}

func (r *refDecoder) int() (int64, bool, error) {
	c, err := r.d.PeekCode()
	if err != nil {
		return 0, false, wrap(err)
	}
	if !isIntCode(c) {
		return 0, false, refFail("expected int")
	}
	if c == msgpcode.Uint64 {
		u, err := r.d.DecodeUint64()
		if err != nil {
			return 0, false, wrap(err)
		}
		if u > math.MaxInt64 {
			return 0, true, nil
		}
		return int64(u), false, nil
	}
	v, err := r.d.DecodeInt64()
	return v, false, wrap(err)
}

func (r *refDecoder) skip(depth int) error {
	c, err := r.d.PeekCode()
	if err != nil {
		return wrap(err)
	}
	if c == msgpcode.Nil+1 { // 0xc1 never used
		return refFail("invalid opcode")
	}
	if isArrayCode(c) || isMapCode(c) {
		var n int
		if isArrayCode(c) {
			n, err = r.d.DecodeArrayLen()
		} else {
			n, err = r.d.DecodeMapLen()
			n *= 2
		}
		if err != nil {
			return wrap(err)
		}
		if n > 0 && depth+1 > maxDepth {
			return refRaise("recursion")
		}
		for i := 0; i < n; i++ {
			if err := r.skip(depth + 1); err != nil {
				return err
			}
		}
		return nil
	}
	return r.skipScalar(c)
}

// skipScalar skips a non-container value. Str, bin and ext bodies are
// bounds-checked first: msgpack/v5's Skip allocates the announced length
// up front (readN), which a corrupt 4 GiB header turns into a stall.
func (r *refDecoder) skipScalar(c byte) error {
	switch {
	case isStrCode(c) || msgpcode.IsBin(c):
		n, err := r.d.DecodeBytesLen()
		if err != nil {
			return wrap(err)
		}
		return r.seek(n)
	case msgpcode.IsFixedExt(c) || msgpcode.IsExt(c):
		_, n, err := r.d.DecodeExtHeader()
		if err != nil {
			return wrap(err)
		}
		return r.seek(n)
	}
	return wrap(r.d.Skip())
}

func (r *refDecoder) seek(n int) error {
	if n > r.br.Len() {
		return refFail("truncated")
	}
	_, err := r.br.Seek(int64(n), 1)
	return err
}

// any validates an Any value; see reader.anyValue.
func (r *refDecoder) any(depth int, isKey bool) (bool, error) {
	c, err := r.d.PeekCode()
	if err != nil {
		return false, wrap(err)
	}
	switch {
	case c == 0xc1:
		return false, refFail("invalid opcode")
	case isStrCode(c):
		b, err := r.rawStr()
		if err != nil {
			return false, err
		}
		if !utf8.Valid(b) {
			return false, refRaise("invalid utf-8")
		}
		return true, nil
	case isArrayCode(c):
		n, err := r.d.DecodeArrayLen()
		if err != nil {
			return false, wrap(err)
		}
		if n > 0 && depth+1 > maxDepth {
			return false, refRaise("recursion")
		}
		h := isKey
		for i := 0; i < n; i++ {
			eh, err := r.any(depth+1, isKey)
			if err != nil {
				return false, err
			}
			h = h && eh
		}
		return h, nil
	case isMapCode(c):
		n, err := r.d.DecodeMapLen()
		if err != nil {
			return false, wrap(err)
		}
		if n > 0 && depth+1 > maxDepth {
			return false, refRaise("recursion")
		}
		for i := 0; i < n; i++ {
			kh, err := r.any(depth+1, true)
			if err != nil {
				return false, err
			}
			if _, err := r.any(depth+1, false); err != nil {
				return false, err
			}
			if !kh {
				return false, refRaise("unhashable key")
			}
		}
		return false, nil
	case msgpcode.IsFixedExt(c) || msgpcode.IsExt(c):
		id, l, err := r.d.DecodeExtHeader()
		if err != nil {
			return false, wrap(err)
		}
		if l > r.br.Len() {
			return false, refFail("truncated")
		}
		data := make([]byte, l)
		if err := r.d.ReadFull(data); err != nil {
			return false, wrap(err)
		}
		if id != -1 {
			return false, nil
		}
		return true, refTimestamp(data)
	}
	return true, r.skipScalar(c)
}

// refTimestamp re-derives msgspec's msgpack timestamp checks.
func refTimestamp(data []byte) error {
	var secs int64
	var nanos uint64
	switch len(data) {
	case 4:
		secs = int64(uint32(data[0])<<24 | uint32(data[1])<<16 | uint32(data[2])<<8 | uint32(data[3]))
	case 8:
		var x uint64
		for _, c := range data {
			x = x<<8 | uint64(c)
		}
		secs, nanos = int64(x&(1<<34-1)), x>>34
	case 12:
		for _, c := range data[:4] {
			nanos = nanos<<8 | uint64(c)
		}
		var x uint64
		for _, c := range data[4:] {
			x = x<<8 | uint64(c)
		}
		secs = int64(x)
	default:
		return refFail("bad timestamp length")
	}
	if nanos >= 1e9 {
		return refFail("nanoseconds out of range")
	}
	const lo, hi = -62135596800, 253402300800
	if secs < lo || secs > hi {
		return refFail("timestamp out of range")
	}
	micros := (nanos + 500) / 1000
	if secs == hi || secs == hi-1 && micros == 1e6 {
		return refRaise("year 10000")
	}
	return nil
}

func (r *refDecoder) strDict(depth int) error {
	c, err := r.d.PeekCode()
	if err != nil {
		return wrap(err)
	}
	if !isMapCode(c) {
		return refFail("expected object")
	}
	n, err := r.d.DecodeMapLen()
	if err != nil {
		return wrap(err)
	}
	if n > 0 && depth+1 > maxDepth {
		return refRaise("recursion")
	}
	for i := 0; i < n; i++ {
		b, err := r.rawStr()
		if err != nil {
			return err
		}
		if !utf8.Valid(b) {
			return refRaise("invalid utf-8")
		}
		if _, err := r.any(depth+1, false); err != nil {
			return err
		}
	}
	return nil
}

// optional runs f unless the next value is nil (which it consumes).
func (r *refDecoder) optional(f func() error) error {
	c, err := r.d.PeekCode()
	if err != nil {
		return wrap(err)
	}
	if c == msgpcode.Nil {
		return wrap(r.d.Skip())
	}
	return f()
}

func (r *refDecoder) strOrList(depth int) error {
	c, err := r.d.PeekCode()
	if err != nil {
		return wrap(err)
	}
	if isStrCode(c) {
		b, err := r.rawStr()
		if err == nil && !utf8.Valid(b) {
			err = refRaise("invalid utf-8")
		}
		return err
	}
	return r.list(depth, func() error {
		b, err := r.rawStr()
		if err == nil && !utf8.Valid(b) {
			err = refRaise("invalid utf-8")
		}
		return err
	})
}

func (r *refDecoder) list(depth int, elem func() error) error {
	c, err := r.d.PeekCode()
	if err != nil {
		return wrap(err)
	}
	if !isArrayCode(c) {
		return refFail("expected array")
	}
	n, err := r.d.DecodeArrayLen()
	if err != nil {
		return wrap(err)
	}
	if n > 0 && depth+1 > maxDepth {
		return refRaise("recursion")
	}
	for i := 0; i < n; i++ {
		if err := elem(); err != nil {
			return err
		}
	}
	return nil
}

func (r *refDecoder) data(p []byte, rec *Record) error {
	rec.DataKind, rec.Data, rec.TokenIDs = DataNone, nil, -1
	c, err := r.d.PeekCode()
	if err != nil {
		return wrap(err)
	}
	if c == msgpcode.Nil {
		return wrap(r.d.Skip())
	}
	if !isArrayCode(c) {
		return refFail("expected array | null")
	}
	start := r.pos()
	n, err := r.d.DecodeArrayLen()
	if err != nil {
		return wrap(err)
	}
	if n == 0 {
		return refFail("empty data array")
	}
	tag, err := r.rawStr()
	if err != nil {
		return err
	}
	const depth = 2
	var kind DataKind
	var fields []func() error
	switch string(tag) {
	case "TextModelOutput":
		kind = DataTextModelOutput
		fields = []func() error{
			func() error { return r.strOrList(depth) },
			func() error { return r.optional(func() error { return r.strOrList(depth) }) },
			func() error {
				return r.optional(func() error {
					return r.list(depth, func() error { _, err := r.any(depth+1, false); return err })
				})
			},
		}
	case "PromptData":
		kind = DataPromptData
		optStr := func() error {
			return r.optional(func() error {
				b, err := r.rawStr()
				if err == nil && !utf8.Valid(b) {
					err = refRaise("invalid utf-8")
				}
				return err
			})
		}
		dicts := func() error {
			return r.optional(func() error { return r.list(depth, func() error { return r.strDict(depth + 1) }) })
		}
		fields = []func() error{
			optStr,
			func() error {
				c, err := r.d.PeekCode()
				if err != nil {
					return wrap(err)
				}
				if c == msgpcode.Nil {
					return wrap(r.d.Skip())
				}
				if !isArrayCode(c) {
					return refFail("expected array")
				}
				m, err := r.d.DecodeArrayLen()
				if err != nil {
					return wrap(err)
				}
				for i := 0; i < m; i++ {
					if _, _, err := r.int(); err != nil {
						return err
					}
				}
				rec.TokenIDs = m
				return nil
			},
			dicts,
			dicts,
			func() error { return r.optional(func() error { return r.strDict(depth) }) },
			optStr,
			func() error {
				return r.optional(func() error {
					c, err := r.d.PeekCode()
					if err != nil {
						return wrap(err)
					}
					if isStrCode(c) {
						b, err := r.rawStr()
						if err == nil && !utf8.Valid(b) {
							err = refRaise("invalid utf-8")
						}
						return err
					}
					return r.strDict(depth)
				})
			},
		}
	case "ErrorData":
		kind = DataErrorData
		if n < 2 {
			return refFail("ErrorData needs error_type")
		}
		s := func() error {
			b, err := r.rawStr()
			if err == nil && !utf8.Valid(b) {
				err = refRaise("invalid utf-8")
			}
			return err
		}
		fields = []func() error{s, s}
	default:
		return refFail("unknown tag")
	}
	for i := 0; i < n-1; i++ {
		if i < len(fields) {
			if err := fields[i](); err != nil {
				return err
			}
		} else if err := r.skip(depth); err != nil {
			return err
		}
	}
	end := r.pos()
	rec.DataKind, rec.Data = kind, p[start:end:end]
	return nil
}
