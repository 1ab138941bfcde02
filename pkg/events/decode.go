package events

import (
	"errors"
	"fmt"
	"math"
)

// batchTopic is the NUL-padded topic of a batch frame.
var batchTopic = func() [TopicSize]byte {
	var t [TopicSize]byte
	copy(t[:], "batch")
	return t
}()

// ErrCorruptBatch is wrapped by DecodeFrame's error when a batch envelope is
// not a msgpack array of bin items; upstream drops the whole frame.
var ErrCorruptBatch = errors.New("corrupt batch envelope")

// Batch is a reusable buffer of decoded records (VictoriaMetrics Rows
// style): DecodeFrame appends to it and Reset empties it while keeping the
// capacity, so a steady-state decode loop does not allocate.
type Batch struct {
	// Records holds the decoded records in frame order.
	Records []Record
	// Malformed counts payloads that became error.generic records since
	// the last Reset (upstream's on_decode_error path).
	Malformed int
	// Dropped counts payloads upstream would drop without a record since
	// the last Reset (see DecodeError.Raised); they appear in Records with
	// Type TypeUnknown.
	Dropped int
}

// Reset empties b for reuse, keeping its capacity.
func (b *Batch) Reset() {
	b.Records = b.Records[:0]
	b.Malformed = 0
	b.Dropped = 0
}

// next returns a cleared record slot appended to b.
func (b *Batch) next() *Record {
	if len(b.Records) < cap(b.Records) {
		b.Records = b.Records[:len(b.Records)+1]
	} else {
		b.Records = append(b.Records, Record{})
	}
	r := &b.Records[len(b.Records)-1]
	r.Reset()
	return r
}

// Decoder decodes event frames and EventRecord payloads with the
// validation of upstream's msgspec 0.20 typed decoder. It keeps no
// per-frame state, only counters; it is not safe for concurrent use.
//
// Payloads upstream turns into an error.generic record (msgspec.DecodeError:
// wrong types, missing event_type, unknown topic, truncated or trailing
// bytes, bad msgpack timestamps, ...) become Records with Type ErrorGeneric.
// Payloads on which msgspec raises some other exception are marked
// DecodeError.Raised and get Type TypeUnknown, because upstream's codec
// re-raises them and the payload vanishes: invalid UTF-8 in any decoded str
// (UnicodeDecodeError), a non-str event_type (NotImplementedError from
// EventType.decode_hook), an unhashable map key inside an Any value
// (TypeError), nesting deeper than maxDepth (RecursionError) and a msgpack
// timestamp in year 10000 (ValueError).
type Decoder struct {
	// Now returns the CLOCK_MONOTONIC time in ns, used for records that
	// carry no timestamp (upstream's default_factory=time.monotonic_ns).
	// Nil means MonotonicNs.
	Now func() int64
}

func (d *Decoder) now() int64 {
	if d.Now != nil {
		return d.Now()
	}
	return MonotonicNs()
}

// DecodeFrame appends the records of one ZeroMQ frame to b. A frame is a
// 40-byte NUL-padded topic followed by the payload; the "batch" topic
// carries a msgpack array of bin items, each one EventRecord payload (empty
// items are skipped), any other topic exactly one payload. A frame of at
// most 40 bytes yields nothing. A corrupt batch envelope returns an error
// wrapping ErrCorruptBatch and appends nothing; a bad item only turns into
// an error record, the other items still decode.
func (d *Decoder) DecodeFrame(frame []byte, b *Batch) error {
	if len(frame) >= TopicSize && [TopicSize]byte(frame[:TopicSize]) == batchTopic {
		return d.decodeBatch(frame[TopicSize:], b)
	}
	if len(frame) <= TopicSize {
		return nil
	}
	d.decodeInto(frame[TopicSize:], b)
	return nil
}

func (d *Decoder) decodeInto(p []byte, b *Batch) {
	r := b.next()
	d.DecodePayload(p, r)
	if r.Err != nil {
		if r.Type == TypeUnknown {
			b.Dropped++
		} else {
			b.Malformed++
		}
	}
}

// decodeBatch validates the whole envelope first, as msgspec decodes the
// list[bytes] before any item is handled, then decodes the items.
func (d *Decoder) decodeBatch(env []byte, b *Batch) error {
	rd := reader{b: env}
	n, err := rd.readArrayLen()
	if err == nil {
		for i := 0; i < n; i++ {
			if _, err = batchItem(&rd); err != nil {
				break
			}
		}
	}
	if err == nil && rd.pos != len(env) {
		err = rd.fail("trailing characters (byte %d)", rd.pos)
	}
	if err != nil {
		return fmt.Errorf("%w (%d bytes): %v", ErrCorruptBatch, len(env), err)
	}
	rd = reader{b: env}
	n, _ = rd.readArrayLen()
	for i := 0; i < n; i++ {
		item, _ := batchItem(&rd)
		if len(item) > 0 {
			d.decodeInto(item, b)
		}
	}
	return nil
}

// batchItem reads one item of a batch envelope. msgspec's strict
// list[bytes] decode accepts only bin; a str item is a ValidationError that
// drops the whole frame.
func batchItem(rd *reader) ([]byte, error) {
	op, err := rd.peek()
	if err != nil {
		return nil, err
	}
	if op < mpBin8 || op > mpBin32 {
		return nil, rd.fail("expected `bytes`, got `%s`", typeName(op))
	}
	rd.pos++
	n, err := rd.size(1 << (op - mpBin8))
	if err != nil {
		return nil, err
	}
	return rd.take(n)
}

// DecodePayload decodes one EventRecord payload into r (which it resets).
// On failure r.Err is set: r is then the error.generic record upstream
// synthesises (timestamp = now, no uuid), or a TypeUnknown record when
// upstream would drop the payload (see Decoder). Byte fields alias p.
func (d *Decoder) DecodePayload(p []byte, r *Record) {
	r.Reset()
	if err := decodeRecord(p, r); err != nil {
		*r = Record{Type: ErrorGeneric, DataKind: DataErrorData, TokenIDs: -1, Err: err}
		var de *DecodeError
		if errors.As(err, &de) && de.Raised {
			r.Type = TypeUnknown
			r.DataKind = DataNone
		}
		r.TimestampNs = d.now()
		return
	}
	if !r.hasTimestamp {
		r.TimestampNs = d.now()
	}
}

// decodeRecord is the hand-written EventRecord reader.
func decodeRecord(p []byte, rec *Record) error {
	rd := reader{b: p}
	n, err := rd.readMapLen()
	if err != nil {
		return err
	}
	hasType := false
	for i := 0; i < n; i++ {
		rd.field = ""
		key, err := rd.readRawStr()
		if err != nil {
			return err
		}
		switch string(key) {
		case "event_type":
			rd.field = "event_type"
			start := rd.pos
			if _, err := rd.anyValue(1, false); err != nil {
				return err
			}
			sub := reader{b: p[:rd.pos], pos: start}
			op := p[start]
			sn, isStr, _ := sub.strLen(op)
			if !isStr {
				return rd.raise("decoding topic of type `%s` is not supported", typeName(op))
			}
			topic := p[sub.pos : sub.pos+sn]
			t, ok := ParseType(topic)
			if !ok {
				return rd.fail("invalid topic %q", topic)
			}
			rec.Type = t
			hasType = true
		case "timestamp_ns":
			rd.field = "timestamp_ns"
			v, _, big, err := rd.readInt()
			if err != nil {
				return err
			}
			if big {
				return rd.fail("timestamp does not fit int64")
			}
			rec.TimestampNs = v
			rec.hasTimestamp = true
		case "sample_uuid":
			rd.field = "sample_uuid"
			if rec.SampleUUID, err = rd.readStr(); err != nil {
				return err
			}
		case "conversation_id":
			rd.field = "conversation_id"
			if rec.ConversationID, err = rd.readStr(); err != nil {
				return err
			}
		case "turn":
			rd.field = "turn"
			isNil, err := rd.tryNil()
			if err != nil {
				return err
			}
			rec.Turn, rec.HasTurn = 0, false
			if !isNil {
				if rec.Turn, err = readClampedInt(&rd); err != nil {
					return err
				}
				rec.HasTurn = true
			}
		case "finish_reason":
			rd.field = "finish_reason"
			if rec.FinishReason, err = rd.readStr(); err != nil {
				return err
			}
			rec.HasFinish = true
		case "worker_id":
			rd.field = "worker_id"
			if rec.WorkerID, err = readClampedInt(&rd); err != nil {
				return err
			}
			rec.HasWorkerID = true
		case "data":
			rd.field = "data"
			if err := decodeDataField(&rd, rec); err != nil {
				return err
			}
		default:
			rd.field = "unknown field"
			if err := rd.skip(1); err != nil {
				return err
			}
		}
	}
	rd.field = ""
	if !hasType {
		return rd.fail("object missing required field `event_type`")
	}
	if rd.pos != len(p) {
		return rd.fail("trailing characters (byte %d)", rd.pos)
	}
	return nil
}

// readClampedInt reads an int field; uint64 values above MaxInt64 (valid
// Python ints) are clamped to MaxInt64.
func readClampedInt(rd *reader) (int64, error) {
	v, _, big, err := rd.readInt()
	if big {
		v = math.MaxInt64
	}
	return v, err
}

// decodeDataField decodes the data union: nil or a tagged array.
func decodeDataField(rd *reader, rec *Record) error {
	rec.DataKind, rec.Data, rec.TokenIDs = DataNone, nil, -1
	op, err := rd.peek()
	if err != nil {
		return err
	}
	if op == mpNil {
		rd.pos++
		return nil
	}
	start := rd.pos
	n, ok, err := rd.arrayLen(op)
	if err != nil {
		return err
	}
	if !ok {
		return rd.fail("expected `array | null`, got `%s`", typeName(op))
	}
	if n == 0 {
		return rd.fail("expected `array` of at least length 1, got 0")
	}
	tag, err := rd.readRawStr()
	if err != nil {
		return err
	}
	var kind DataKind
	switch string(tag) {
	case "TextModelOutput":
		kind = DataTextModelOutput
	case "PromptData":
		kind = DataPromptData
	case "ErrorData":
		kind = DataErrorData
		if n < 2 {
			return rd.fail("expected `array` of at least length 2, got %d", n)
		}
	default:
		return rd.fail("invalid value %q", tag)
	}
	nf := n - 1
	const depth = 2 // EventRecord map, then this struct
	var fields int
	switch kind {
	case DataTextModelOutput:
		fields = 3
		for i := 0; i < min(nf, fields); i++ {
			switch i {
			case 0:
				err = strOrStrArray(rd, depth, false)
			case 1:
				err = strOrStrArray(rd, depth, true)
			case 2:
				err = nilOrArray(rd, depth, func() error { _, err := rd.anyValue(depth+1, false); return err })
			}
			if err != nil {
				return err
			}
		}
	case DataPromptData:
		fields = 7
		for i := 0; i < min(nf, fields); i++ {
			switch i {
			case 0, 5: // text, chat_template
				err = nilOrStr(rd)
			case 1: // token_ids
				var cnt int
				cnt, err = tokenIDs(rd, depth)
				rec.TokenIDs = cnt
			case 2, 3: // messages, tools
				err = nilOrArray(rd, depth, func() error { return rd.strDict(depth + 1) })
			case 4: // chat_template_kwargs
				var isNil bool
				if isNil, err = rd.tryNil(); err == nil && !isNil {
					err = rd.strDict(depth)
				}
			case 6: // tool_choice
				err = toolChoice(rd, depth)
			}
			if err != nil {
				return err
			}
		}
	case DataErrorData:
		fields = 2
		for i := 0; i < min(nf, fields); i++ {
			if _, err := rd.readStr(); err != nil {
				return err
			}
		}
	}
	// Extra trailing elements are ignored (msgspec's array_like structs
	// do not forbid unknown fields) and only skipped structurally.
	for i := fields; i < nf; i++ {
		if err := rd.skip(depth); err != nil {
			return err
		}
	}
	rec.DataKind = kind
	rec.Data = rd.b[start:rd.pos:rd.pos]
	return nil
}

func nilOrStr(rd *reader) error {
	isNil, err := rd.tryNil()
	if err != nil || isNil {
		return err
	}
	_, err = rd.readStr()
	return err
}

// strOrStrArray validates str | tuple[str, ...] (| None when nilOK).
func strOrStrArray(rd *reader, depth int, nilOK bool) error {
	op, err := rd.peek()
	if err != nil {
		return err
	}
	if op == mpNil && nilOK {
		rd.pos++
		return nil
	}
	if _, isStr, _ := (&reader{b: rd.b, pos: rd.pos}).strLen(op); isStr {
		_, err := rd.readStr()
		return err
	}
	n, ok, err := rd.arrayLen(op)
	if err != nil {
		return err
	}
	if !ok {
		want := "str | array"
		if nilOK {
			want += " | null"
		}
		return rd.fail("expected `%s`, got `%s`", want, typeName(op))
	}
	if n > 0 && depth+1 > maxDepth {
		return rd.raise("maximum recursion depth exceeded")
	}
	for i := 0; i < n; i++ {
		if _, err := rd.readStr(); err != nil {
			return err
		}
	}
	return nil
}

// nilOrArray validates nil or an array whose elements elem validates.
func nilOrArray(rd *reader, depth int, elem func() error) error {
	op, err := rd.peek()
	if err != nil {
		return err
	}
	if op == mpNil {
		rd.pos++
		return nil
	}
	n, ok, err := rd.arrayLen(op)
	if err != nil {
		return err
	}
	if !ok {
		return rd.fail("expected `array | null`, got `%s`", typeName(op))
	}
	if n > 0 && depth+1 > maxDepth {
		return rd.raise("maximum recursion depth exceeded")
	}
	for i := 0; i < n; i++ {
		if err := elem(); err != nil {
			return err
		}
	}
	return nil
}

// tokenIDs validates tuple[int, ...] | None and returns its length, -1 for
// None.
func tokenIDs(rd *reader, depth int) (int, error) {
	op, err := rd.peek()
	if err != nil {
		return -1, err
	}
	if op == mpNil {
		rd.pos++
		return -1, nil
	}
	n, ok, err := rd.arrayLen(op)
	if err != nil {
		return -1, err
	}
	if !ok {
		return -1, rd.fail("expected `array | null`, got `%s`", typeName(op))
	}
	if n > 0 && depth+1 > maxDepth {
		return -1, rd.raise("maximum recursion depth exceeded")
	}
	b := rd.b
	for i := 0; i < n; i++ {
		// Fast path: positive and negative fixints.
		if rd.pos < len(b) && (b[rd.pos] <= 0x7f || b[rd.pos] >= 0xe0) {
			rd.pos++
			continue
		}
		if _, _, _, err := rd.readInt(); err != nil {
			return -1, err
		}
	}
	return n, nil
}

// toolChoice validates str | dict[str, Any] | None.
func toolChoice(rd *reader, depth int) error {
	op, err := rd.peek()
	if err != nil {
		return err
	}
	switch {
	case op == mpNil:
		rd.pos++
		return nil
	case op >= 0xa0 && op <= 0xbf || op == mpStr8 || op == mpStr16 || op == mpStr32:
		_, err := rd.readStr()
		return err
	case op >= 0x80 && op <= 0x8f || op == mpMap16 || op == mpMap32:
		return rd.strDict(depth)
	}
	return rd.fail("expected `str | object | null`, got `%s`", typeName(op))
}
