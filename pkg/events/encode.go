package events

import (
	"github.com/mlperf-tools/aggregator/internal/msgp"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
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
	dst = msgp.AppendMapLen(dst, n)
	dst = msgp.AppendStr(dst, "event_type")
	dst = msgp.AppendStr(dst, rec.Type.String())
	dst = msgp.AppendStr(dst, "timestamp_ns")
	dst = msgp.AppendInt(dst, rec.TimestampNs)
	dst = msgp.AppendStr(dst, "sample_uuid")
	dst = msgp.AppendStr(dst, rec.SampleUUID)
	dst = msgp.AppendStr(dst, "conversation_id")
	dst = msgp.AppendStr(dst, rec.ConversationID)
	dst = msgp.AppendStr(dst, "turn")
	if rec.HasTurn {
		dst = msgp.AppendInt(dst, rec.Turn)
	} else {
		dst = append(dst, mpNil)
	}
	dst = msgp.AppendStr(dst, "data")
	if rec.Data == nil {
		dst = append(dst, mpNil)
	} else {
		dst = append(dst, rec.Data...)
	}
	if rec.HasFinish {
		dst = msgp.AppendStr(dst, "finish_reason")
		dst = msgp.AppendStr(dst, rec.FinishReason)
	}
	if rec.HasWorkerID {
		dst = msgp.AppendStr(dst, "worker_id")
		dst = msgp.AppendInt(dst, rec.WorkerID)
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
	dst = msgp.AppendArrayLen(dst, len(payloads))
	for _, p := range payloads {
		dst = msgp.AppendBin(dst, p)
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
		dst = msgp.AppendArrayLen(dst, 4)
		dst = msgp.AppendStr(dst, "TextModelOutput")
		if t.Output.Kind == ChunksNone {
			dst = msgp.AppendStr(dst, "")
		} else {
			dst = appendChunks(dst, t.Output)
		}
		dst = appendChunks(dst, t.Reasoning)
		if t.ToolCalls == nil {
			dst = append(dst, mpNil)
		} else {
			dst = pyvalue.AppendMsgpack(dst, pyvalue.Value{Kind: pyvalue.KindArray, Array: t.ToolCalls})
		}
		return dst
	case DataPromptData:
		p := d.PromptData
		dst = msgp.AppendArrayLen(dst, 8)
		dst = msgp.AppendStr(dst, "PromptData")
		dst = appendOptStr(dst, p.Text)
		if p.TokenIDs == nil {
			dst = append(dst, mpNil)
		} else {
			dst = msgp.AppendArrayLen(dst, len(p.TokenIDs))
			for _, id := range p.TokenIDs {
				dst = msgp.AppendInt(dst, id)
			}
		}
		dst = appendOptArray(dst, p.Messages)
		dst = appendOptArray(dst, p.Tools)
		dst = appendOptValue(dst, p.ChatTemplateKwargs)
		dst = appendOptStr(dst, p.ChatTemplate)
		return appendOptValue(dst, p.ToolChoice)
	case DataErrorData:
		dst = msgp.AppendArrayLen(dst, 3)
		dst = msgp.AppendStr(dst, "ErrorData")
		dst = msgp.AppendStr(dst, d.ErrorData.ErrorType)
		return msgp.AppendStr(dst, d.ErrorData.ErrorMessage)
	}
	return append(dst, mpNil)
}

func appendChunks(dst []byte, c Chunks) []byte {
	switch c.Kind {
	case ChunksStr:
		return msgp.AppendStr(dst, c.Str)
	case ChunksList:
		dst = msgp.AppendArrayLen(dst, len(c.List))
		for _, s := range c.List {
			dst = msgp.AppendStr(dst, s)
		}
		return dst
	}
	return append(dst, mpNil)
}

func appendOptStr(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, mpNil)
	}
	return msgp.AppendStr(dst, *s)
}

func appendOptArray(dst []byte, vs []pyvalue.Value) []byte {
	if vs == nil {
		return append(dst, mpNil)
	}
	return pyvalue.AppendMsgpack(dst, pyvalue.Value{Kind: pyvalue.KindArray, Array: vs})
}

func appendOptValue(dst []byte, v *pyvalue.Value) []byte {
	if v == nil {
		return append(dst, mpNil)
	}
	return pyvalue.AppendMsgpack(dst, *v)
}
