package events

import (
	"encoding/binary"
	"math"
)

// RecordSpec describes one EventRecord to encode. Data is the already
// encoded msgpack data field (see AppendData); nil encodes None.
type RecordSpec struct {
	Type           Type
	TimestampNs    int64
	SampleUUID     string
	ConversationID string
	Turn           int64
	HasTurn        bool // false encodes turn as None
	Data           []byte
	FinishReason   string
	HasFinish      bool // false leaves finish_reason UNSET (key absent)
	WorkerID       int64
	HasWorkerID    bool // false leaves worker_id UNSET (key absent)
}

// AppendRecord appends the msgpack EventRecord payload for rec to dst,
// byte for byte as msgspec 0.20 encodes the Python struct: a map whose
// keys follow the field order (event_type, timestamp_ns, sample_uuid,
// conversation_id, turn, data, then finish_reason and worker_id only when
// set), every default included, with minimal int/str/map headers.
func AppendRecord(dst []byte, rec RecordSpec) []byte {
	n := 6
	if rec.HasFinish {
		n++
	}
	if rec.HasWorkerID {
		n++
	}
	dst = appendMapHeader(dst, n)
	dst = appendStr(dst, "event_type")
	dst = appendStr(dst, rec.Type.String())
	dst = appendStr(dst, "timestamp_ns")
	dst = appendInt(dst, rec.TimestampNs)
	dst = appendStr(dst, "sample_uuid")
	dst = appendStr(dst, rec.SampleUUID)
	dst = appendStr(dst, "conversation_id")
	dst = appendStr(dst, rec.ConversationID)
	dst = appendStr(dst, "turn")
	if rec.HasTurn {
		dst = appendInt(dst, rec.Turn)
	} else {
		dst = append(dst, mpNil)
	}
	dst = appendStr(dst, "data")
	if rec.Data == nil {
		dst = append(dst, mpNil)
	} else {
		dst = append(dst, rec.Data...)
	}
	if rec.HasFinish {
		dst = appendStr(dst, "finish_reason")
		dst = appendStr(dst, rec.FinishReason)
	}
	if rec.HasWorkerID {
		dst = appendStr(dst, "worker_id")
		dst = appendInt(dst, rec.WorkerID)
	}
	return dst
}

// AppendSingleFrame appends a single-record frame: t's topic NUL-padded to
// 40 bytes, then the payload.
func AppendSingleFrame(dst []byte, t Type, payload []byte) []byte {
	var topic [TopicSize]byte
	copy(topic[:], t.String())
	dst = append(dst, topic[:]...)
	return append(dst, payload...)
}

// AppendBatchFrame appends a batch frame: the "batch" topic NUL-padded to
// 40 bytes, then a msgpack array of bin items, one per payload.
func AppendBatchFrame(dst []byte, payloads [][]byte) []byte {
	dst = append(dst, batchTopic[:]...)
	dst = appendArrayHeader(dst, len(payloads))
	for _, p := range payloads {
		dst = appendBin(dst, p)
	}
	return dst
}

// Encoder batches record payloads the way upstream's ZmqMessagePublisher
// does, for tests and the demo load generator: Add buffers a record, Flush
// emits one frame (a single-record frame with the record's own topic when
// only one is buffered, else a batch frame). Buffers are reused.
type Encoder struct {
	buf     []byte
	offs    []int
	last    Type
	scratch [][]byte
}

// Add encodes rec into the pending batch.
func (e *Encoder) Add(rec RecordSpec) {
	e.offs = append(e.offs, len(e.buf))
	e.buf = AppendRecord(e.buf, rec)
	e.last = rec.Type
}

// Len is the number of buffered records.
func (e *Encoder) Len() int { return len(e.offs) }

// Flush appends the frame for the buffered records to dst and empties the
// buffer; with nothing buffered it returns dst unchanged.
func (e *Encoder) Flush(dst []byte) []byte {
	switch len(e.offs) {
	case 0:
		return dst
	case 1:
		dst = AppendSingleFrame(dst, e.last, e.buf)
	default:
		e.scratch = e.scratch[:0]
		for i, off := range e.offs {
			end := len(e.buf)
			if i+1 < len(e.offs) {
				end = e.offs[i+1]
			}
			e.scratch = append(e.scratch, e.buf[off:end])
		}
		dst = AppendBatchFrame(dst, e.scratch)
	}
	e.buf = e.buf[:0]
	e.offs = e.offs[:0]
	return dst
}

// AppendData appends the msgpack encoding of a data field as msgspec 0.20
// writes it: nil for DataNone, else the tagged array with every field
// (msgspec's array_like encoder writes defaults too; omit_defaults only
// affects map-encoded structs).
func AppendData(dst []byte, d Data) []byte {
	switch d.Kind {
	case DataTextModelOutput:
		t := d.TextModelOutput
		dst = appendArrayHeader(dst, 4)
		dst = appendStr(dst, "TextModelOutput")
		if t.Output.Kind == ChunksNone {
			dst = appendStr(dst, "")
		} else {
			dst = appendChunks(dst, t.Output)
		}
		dst = appendChunks(dst, t.Reasoning)
		if t.ToolCalls == nil {
			dst = append(dst, mpNil)
		} else {
			dst = AppendMsgpack(dst, Value{Kind: KindArray, Array: t.ToolCalls})
		}
		return dst
	case DataPromptData:
		p := d.PromptData
		dst = appendArrayHeader(dst, 8)
		dst = appendStr(dst, "PromptData")
		dst = appendOptStr(dst, p.Text)
		if p.TokenIDs == nil {
			dst = append(dst, mpNil)
		} else {
			dst = appendArrayHeader(dst, len(p.TokenIDs))
			for _, id := range p.TokenIDs {
				dst = appendInt(dst, id)
			}
		}
		dst = appendOptArray(dst, p.Messages)
		dst = appendOptArray(dst, p.Tools)
		dst = appendOptValue(dst, p.ChatTemplateKwargs)
		dst = appendOptStr(dst, p.ChatTemplate)
		return appendOptValue(dst, p.ToolChoice)
	case DataErrorData:
		dst = appendArrayHeader(dst, 3)
		dst = appendStr(dst, "ErrorData")
		dst = appendStr(dst, d.ErrorData.ErrorType)
		return appendStr(dst, d.ErrorData.ErrorMessage)
	}
	return append(dst, mpNil)
}

func appendChunks(dst []byte, c Chunks) []byte {
	switch c.Kind {
	case ChunksStr:
		return appendStr(dst, c.Str)
	case ChunksList:
		dst = appendArrayHeader(dst, len(c.List))
		for _, s := range c.List {
			dst = appendStr(dst, s)
		}
		return dst
	}
	return append(dst, mpNil)
}

func appendOptStr(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, mpNil)
	}
	return appendStr(dst, *s)
}

func appendOptArray(dst []byte, vs []Value) []byte {
	if vs == nil {
		return append(dst, mpNil)
	}
	return AppendMsgpack(dst, Value{Kind: KindArray, Array: vs})
}

func appendOptValue(dst []byte, v *Value) []byte {
	if v == nil {
		return append(dst, mpNil)
	}
	return AppendMsgpack(dst, *v)
}

// AppendMsgpack appends the msgpack encoding of v with msgspec's choices:
// minimal int, str, bin, array and map headers; floats as float64.
func AppendMsgpack(dst []byte, v Value) []byte {
	switch v.Kind {
	case KindNil:
		return append(dst, mpNil)
	case KindBool:
		if v.Bool {
			return append(dst, mpTrue)
		}
		return append(dst, mpFalse)
	case KindInt:
		return appendInt(dst, v.Int)
	case KindUint:
		return appendUint(dst, v.Uint)
	case KindFloat:
		return appendFloat(dst, v.Float)
	case KindStr:
		return appendStr(dst, v.Str)
	case KindBin:
		return appendBin(dst, v.Bytes)
	case KindArray:
		dst = appendArrayHeader(dst, len(v.Array))
		for _, e := range v.Array {
			dst = AppendMsgpack(dst, e)
		}
		return dst
	case KindMap:
		dst = appendMapHeader(dst, len(v.Map))
		for _, kv := range v.Map {
			dst = AppendMsgpack(dst, kv.Key)
			dst = AppendMsgpack(dst, kv.Value)
		}
		return dst
	case KindExt:
		return appendExt(dst, v.Ext, v.Bytes)
	}
	return append(dst, mpNil)
}

func appendInt(dst []byte, x int64) []byte {
	if x >= 0 {
		return appendUint(dst, uint64(x))
	}
	switch {
	case x >= -32:
		return append(dst, byte(x))
	case x >= math.MinInt8:
		return append(dst, mpInt8, byte(x))
	case x >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(dst, mpInt16), uint16(x))
	case x >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(dst, mpInt32), uint32(x))
	}
	return binary.BigEndian.AppendUint64(append(dst, mpInt64), uint64(x))
}

func appendUint(dst []byte, x uint64) []byte {
	switch {
	case x < 1<<7:
		return append(dst, byte(x))
	case x < 1<<8:
		return append(dst, mpUint8, byte(x))
	case x < 1<<16:
		return binary.BigEndian.AppendUint16(append(dst, mpUint16), uint16(x))
	case x < 1<<32:
		return binary.BigEndian.AppendUint32(append(dst, mpUint32), uint32(x))
	}
	return binary.BigEndian.AppendUint64(append(dst, mpUint64), x)
}

func appendFloat(dst []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, mpFloat64), math.Float64bits(f))
}

func appendStrHeader(dst []byte, n int) []byte {
	switch {
	case n < 32:
		return append(dst, 0xa0|byte(n))
	case n < 1<<8:
		return append(dst, mpStr8, byte(n))
	case n < 1<<16:
		return binary.BigEndian.AppendUint16(append(dst, mpStr16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, mpStr32), uint32(n))
}

func appendStr(dst []byte, s string) []byte {
	return append(appendStrHeader(dst, len(s)), s...)
}

func appendBin(dst []byte, b []byte) []byte {
	n := len(b)
	switch {
	case n < 1<<8:
		dst = append(dst, mpBin8, byte(n))
	case n < 1<<16:
		dst = binary.BigEndian.AppendUint16(append(dst, mpBin16), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, mpBin32), uint32(n))
	}
	return append(dst, b...)
}

func appendArrayHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x90|byte(n))
	case n < 1<<16:
		return binary.BigEndian.AppendUint16(append(dst, mpArray16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, mpArray32), uint32(n))
}

func appendMapHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x80|byte(n))
	case n < 1<<16:
		return binary.BigEndian.AppendUint16(append(dst, mpMap16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, mpMap32), uint32(n))
}

func appendExt(dst []byte, code int8, data []byte) []byte {
	n := len(data)
	switch n {
	case 1:
		dst = append(dst, mpFixExt1)
	case 2:
		dst = append(dst, mpFixExt2)
	case 4:
		dst = append(dst, mpFixExt4)
	case 8:
		dst = append(dst, mpFixExt8)
	case 16:
		dst = append(dst, mpFixExt16)
	default:
		switch {
		case n < 1<<8:
			dst = append(dst, mpExt8, byte(n))
		case n < 1<<16:
			dst = binary.BigEndian.AppendUint16(append(dst, mpExt16), uint16(n))
		default:
			dst = binary.BigEndian.AppendUint32(append(dst, mpExt32), uint32(n))
		}
	}
	dst = append(dst, byte(code))
	return append(dst, data...)
}
