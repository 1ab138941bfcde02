package events

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/internal/msgp"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// raw wraps pre-encoded msgpack so it can sit inside rec/arr literals.
type rawMsg []byte

// payload assembles a map payload from keys and raw-encoded values.
func payload(kvs ...any) []byte {
	dst := msgp.AppendMapLen(nil, len(kvs)/2)
	for i := 0; i < len(kvs); i += 2 {
		dst = msgp.AppendStr(dst, kvs[i].(string))
		switch v := kvs[i+1].(type) {
		case rawMsg:
			dst = append(dst, v...)
		default:
			dst = pyvalue.AppendMsgpack(dst, toValue(v))
		}
	}
	return dst
}

func enc(v pyvalue.Value) rawMsg { return rawMsg(pyvalue.AppendMsgpack(nil, v)) }

var badUTF8 = rawMsg{0xa2, 0xff, 0xfe}

func TestDecodePayloadFields(t *testing.T) {
	d := testDecoder()
	full := AppendRecord(nil, RecordSpec{
		Type: SampleComplete, TimestampNs: 123456789, SampleUUID: "u1", ConversationID: "c1",
		Turn: 3, HasTurn: true, Data: tmoData(list("a", "b"), Chunks{}, nil),
		FinishReason: "length", HasFinish: true, WorkerID: 5, HasWorkerID: true,
	})
	var r Record
	d.DecodePayload(full, &r)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if r.Type != SampleComplete || r.TimestampNs != 123456789 || string(r.SampleUUID) != "u1" ||
		string(r.ConversationID) != "c1" || !r.HasTurn || r.Turn != 3 || !r.HasFinish ||
		string(r.FinishReason) != "length" || !r.HasWorkerID || r.WorkerID != 5 ||
		r.DataKind != DataTextModelOutput || r.TokenIDs != -1 {
		t.Fatalf("unexpected record %+v", r)
	}
	if !bytes.Equal(r.Data, tmoData(list("a", "b"), Chunks{}, nil)) {
		t.Fatalf("Data = %x", r.Data)
	}
	// Zero copy: SampleUUID aliases the payload.
	full[bytes.Index(full, []byte("u1"))] = 'X'
	if string(r.SampleUUID) != "X1" {
		t.Fatalf("SampleUUID does not alias the payload: %q", r.SampleUUID)
	}

	// Defaults: timestamp = now, no turn, no finish reason, token ids.
	p := payload("event_type", "sample.issued", "data",
		rawMsg(AppendData(nil, Data{Kind: DataPromptData, PromptData: PromptData{TokenIDs: []int64{1, 2, 300000, -4}}})))
	d.DecodePayload(p, &r)
	if r.Err != nil || r.Type != SampleIssued || r.TimestampNs != fixedNow || r.HasTurn || r.HasFinish ||
		r.HasWorkerID || r.TokenIDs != 4 || r.DataKind != DataPromptData || len(r.SampleUUID) != 0 {
		t.Fatalf("defaults: %+v", r)
	}
	// Later duplicate keys win, as in msgspec.
	p = payload("event_type", "sample.issued", "event_type", "sample.complete", "timestamp_ns", 5, "timestamp_ns", 6)
	d.DecodePayload(p, &r)
	if r.Err != nil || r.Type != SampleComplete || r.TimestampNs != 6 {
		t.Fatalf("duplicates: %+v", r)
	}
}

// outcome of decoding a payload.
type outcome int

const (
	ok outcome = iota
	malformed
	raised
)

func classify(r *Record) outcome {
	if r.Err == nil {
		return ok
	}
	var de *DecodeError
	if errors.As(r.Err, &de) && de.Raised {
		return raised
	}
	return malformed
}

func dataArr(vs ...any) rawMsg {
	dst := msgp.AppendArrayLen(nil, len(vs))
	for _, v := range vs {
		switch v := v.(type) {
		case rawMsg:
			dst = append(dst, v...)
		default:
			dst = pyvalue.AppendMsgpack(dst, toValue(v))
		}
	}
	return dst
}

// validationCases are payloads with the outcome msgspec 0.20 gives them
// (see DecodeError and Decoder for why some are "raised").
func validationCases() []struct {
	name string
	p    []byte
	want outcome
} {
	et := func(kvs ...any) []byte { return payload(append([]any{"event_type", "sample.complete"}, kvs...)...) }
	deep := rawMsg{}
	for i := 0; i < maxDepth+5; i++ {
		deep = append(deep, 0x91)
	}
	deep = append(deep, 0x01)
	return []struct {
		name string
		p    []byte
		want outcome
	}{
		{"minimal", payload("event_type", "session.started"), ok},
		{"not a map", enc(pyvalue.ArrayOf(pyvalue.Str("sample.complete"))), malformed},
		{"empty", nil, malformed},
		{"missing event_type", payload("timestamp_ns", 1), malformed},
		{"unknown topic", payload("event_type", "sample.nope"), malformed},
		{"topic with extra dot", payload("event_type", "sample.issued.x"), malformed},
		{"event_type int", payload("event_type", 3), raised},
		{"event_type nil", payload("event_type", nil), raised},
		{"event_type bad utf8", payload("event_type", badUTF8), raised},
		{"event_type map with map key", payload("event_type", rawMsg{0x81, 0x80, 0x01}), raised},
		{"timestamp float", et("timestamp_ns", 1.5), malformed},
		{"timestamp bool", et("timestamp_ns", true), malformed},
		{"timestamp negative", et("timestamp_ns", -5), ok},
		{"timestamp uint64 over int64", et("timestamp_ns", rawMsg{mpUint64, 0xff, 0, 0, 0, 0, 0, 0, 0}), malformed},
		{"sample_uuid bad utf8", et("sample_uuid", badUTF8), raised},
		{"sample_uuid int", et("sample_uuid", 1), malformed},
		{"sample_uuid bin", et("sample_uuid", rawMsg{mpBin8, 1, 'a'}), malformed},
		{"turn nil", et("turn", nil), ok},
		{"turn str", et("turn", "1"), malformed},
		{"turn uint64 big", et("turn", rawMsg{mpUint64, 0xff, 0, 0, 0, 0, 0, 0, 0}), ok},
		{"finish_reason nil", et("finish_reason", nil), malformed},
		{"finish_reason str", et("finish_reason", "stop"), ok},
		{"worker_id nil", et("worker_id", nil), malformed},
		{"unknown key ignored", et("extra", badUTF8), ok},
		{"unknown key invalid opcode", et("extra", rawMsg{0xc1}), malformed},
		{"unknown key truncated", et("extra", rawMsg{0xda, 0x00}), malformed},
		{"bad utf8 key is unknown", append(et(), 0), malformed},
		{"non-str key", append(msgp.AppendMapLen(nil, 2), append(enc(pyvalue.Str("event_type")), append(enc(pyvalue.Str("sample.issued")), 0x01, 0x02)...)...), malformed},
		{"trailing bytes", append(payload("event_type", "session.ended"), 0xc0), malformed},
		{"truncated", payload("event_type", "session.ended")[:10], malformed},
		{"data nil", et("data", nil), ok},
		{"data map", et("data", rawMsg{0x80}), malformed},
		{"data empty array", et("data", rawMsg{0x90}), malformed},
		{"data unknown tag", et("data", dataArr("Nope")), malformed},
		{"data int tag", et("data", dataArr(1)), malformed},
		{"data tag only", et("data", dataArr("TextModelOutput")), ok},
		{"tmo output nil", et("data", dataArr("TextModelOutput", nil)), malformed},
		{"tmo output list of int", et("data", dataArr("TextModelOutput", enc(pyvalue.ArrayOf(pyvalue.Int(1))))), malformed},
		{"tmo output bad utf8", et("data", dataArr("TextModelOutput", badUTF8)), raised},
		{"tmo reasoning nil", et("data", dataArr("TextModelOutput", "x", nil)), ok},
		{"tmo reasoning int", et("data", dataArr("TextModelOutput", "x", 1)), malformed},
		{"tmo tool_calls map", et("data", dataArr("TextModelOutput", "x", nil, rawMsg{0x80})), malformed},
		{"tmo tool_calls any", et("data", dataArr("TextModelOutput", "x", nil, enc(pyvalue.ArrayOf(pyvalue.Int(1), pyvalue.Float(2), pyvalue.Nil(), pyvalue.MapOf("a", pyvalue.ArrayOf()))))), ok},
		{"tmo tool_calls ext", et("data", dataArr("TextModelOutput", "x", nil, dataArr(rawMsg{mpFixExt1, 5, 0}))), ok},
		{"tmo tool_calls timestamp ok", et("data", dataArr("TextModelOutput", "x", nil, dataArr(rawMsg{mpFixExt4, 0xff, 0, 0, 0, 1}))), ok},
		{"tmo tool_calls timestamp bad len", et("data", dataArr("TextModelOutput", "x", nil, dataArr(rawMsg{mpExt8, 3, 0xff, 0, 0, 0}))), malformed},
		{"tmo tool_calls timestamp bad nanos", et("data", dataArr("TextModelOutput", "x", nil, dataArr(rawMsg{mpFixExt8, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}))), malformed},
		{"tmo tool_calls tuple key", et("data", dataArr("TextModelOutput", "x", nil, dataArr(rawMsg{0x81, 0x92, 0x01, 0xa1, 'a', 0x01}))), ok},
		{"tmo tool_calls list-of-map key", et("data", dataArr("TextModelOutput", "x", nil, dataArr(rawMsg{0x81, 0x91, 0x80, 0x01}))), raised},
		{"tmo tool_calls ext key", et("data", dataArr("TextModelOutput", "x", nil, dataArr(rawMsg{0x81, mpFixExt1, 5, 0, 0x01}))), raised},
		{"tmo tool_calls deep", et("data", dataArr("TextModelOutput", "x", nil, deep)), raised},
		{"tmo extra fields ignored", et("data", dataArr("TextModelOutput", "x", nil, nil, badUTF8, 7)), ok},
		{"tmo extra field invalid opcode", et("data", dataArr("TextModelOutput", "x", nil, nil, rawMsg{0xc1})), malformed},
		{"prompt text int", et("data", dataArr("PromptData", 1)), malformed},
		{"prompt token_ids float", et("data", dataArr("PromptData", nil, enc(pyvalue.ArrayOf(pyvalue.Float(1))))), malformed},
		{"prompt token_ids uint64", et("data", dataArr("PromptData", nil, dataArr(rawMsg{mpUint64, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}))), ok},
		{"prompt messages non-str key", et("data", dataArr("PromptData", nil, nil, dataArr(rawMsg{0x81, 0x01, 0x01}))), malformed},
		{"prompt messages str", et("data", dataArr("PromptData", nil, nil, dataArr("x"))), malformed},
		{"prompt messages key bad utf8", et("data", dataArr("PromptData", nil, nil, dataArr(append(rawMsg{0x81}, append(badUTF8, 0x01)...)))), raised},
		{"prompt tools", et("data", dataArr("PromptData", nil, nil, nil, enc(pyvalue.ArrayOf(pyvalue.MapOf("type", "function"))))), ok},
		{"prompt kwargs list", et("data", dataArr("PromptData", nil, nil, nil, nil, rawMsg{0x90})), malformed},
		{"prompt template int", et("data", dataArr("PromptData", nil, nil, nil, nil, nil, 3)), malformed},
		{"prompt tool_choice str", et("data", dataArr("PromptData", nil, nil, nil, nil, nil, nil, "auto")), ok},
		{"prompt tool_choice map", et("data", dataArr("PromptData", nil, nil, nil, nil, nil, nil, enc(pyvalue.MapOf("type", "function")))), ok},
		{"prompt tool_choice int", et("data", dataArr("PromptData", nil, nil, nil, nil, nil, nil, 3)), malformed},
		{"error data no type", et("data", dataArr("ErrorData")), malformed},
		{"error data type only", et("data", dataArr("ErrorData", "E")), ok},
		{"error data nil type", et("data", dataArr("ErrorData", nil)), malformed},
		{"error data extra", et("data", dataArr("ErrorData", "E", "m", 1)), ok},
	}
}

func TestDecodePayloadValidation(t *testing.T) {
	d := testDecoder()
	ref := newRefDecoder(func() int64 { return fixedNow })
	for _, tc := range validationCases() {
		t.Run(tc.name, func(t *testing.T) {
			var r, rr Record
			d.DecodePayload(tc.p, &r)
			if got := classify(&r); got != tc.want {
				t.Fatalf("outcome %d, want %d (err %v)", got, tc.want, r.Err)
			}
			switch tc.want {
			case malformed:
				if r.Type != ErrorGeneric || r.DataKind != DataErrorData || r.TimestampNs != fixedNow || len(r.SampleUUID) != 0 {
					t.Fatalf("malformed record not error.generic: %+v", r)
				}
			case raised:
				if r.Type != TypeUnknown {
					t.Fatalf("raised record has type %v", r.Type)
				}
			}
			ref.decodePayload(tc.p, &rr)
			if got := classify(&rr); got != tc.want {
				t.Fatalf("reference outcome %d, want %d (err %v)", got, tc.want, rr.Err)
			}
			sameRecord(t, tc.name, &r, &rr)
		})
	}
}

func TestDecodeFrame(t *testing.T) {
	d := testDecoder()
	good := [][]byte{
		payload("event_type", "session.started", "timestamp_ns", 10),
		payload("event_type", "sample.issued", "timestamp_ns", 11, "sample_uuid", "a"),
	}
	bad := payload("event_type", "sample.bogus")
	var b Batch

	frame := AppendBatchFrame(nil, [][]byte{good[0], {}, bad, good[1]})
	if err := d.DecodeFrame(frame, &b); err != nil {
		t.Fatal(err)
	}
	if len(b.Records) != 3 || b.Malformed != 1 || b.Dropped != 0 {
		t.Fatalf("got %d records, malformed %d", len(b.Records), b.Malformed)
	}
	if b.Records[0].Type != SessionStarted || b.Records[1].Type != ErrorGeneric || b.Records[2].Type != SampleIssued ||
		string(b.Records[2].SampleUUID) != "a" || b.Records[1].TimestampNs != fixedNow {
		t.Fatalf("records: %+v", b.Records)
	}
	if !strings.Contains(b.Records[1].Err.Error(), "event_type") {
		t.Fatalf("error lacks context: %v", b.Records[1].Err)
	}

	// Single-record frames: the topic is ignored, the payload decides.
	b.Reset()
	if err := d.DecodeFrame(AppendSingleFrame(nil, SampleComplete, good[1]), &b); err != nil || len(b.Records) != 1 || b.Records[0].Type != SampleIssued {
		t.Fatalf("single frame: %v %+v", err, b.Records)
	}
	for _, short := range [][]byte{nil, []byte("x"), make([]byte, TopicSize), batchTopic[:]} {
		b.Reset()
		err := d.DecodeFrame(short, &b)
		if len(b.Records) != 0 {
			t.Fatalf("short frame %q yielded records", short)
		}
		if bytes.Equal(short, batchTopic[:]) != (err != nil) {
			t.Fatalf("short frame %q: err %v", short, err)
		}
	}

	// Corrupt envelopes drop the whole frame.
	strItem := append(append(batchTopic[:0:0], batchTopic[:]...), 0x92)
	strItem = msgp.AppendBin(strItem, good[0])
	strItem = msgp.AppendStr(strItem, string(good[1]))
	corrupt := map[string][]byte{
		"str item":     strItem,
		"map envelope": append(append([]byte{}, batchTopic[:]...), 0x80),
		"trailing":     append(AppendBatchFrame(nil, good), 0xc0),
		"truncated":    AppendBatchFrame(nil, good)[:TopicSize+5],
		"int item":     append(append([]byte{}, batchTopic[:]...), 0x91, 0x01),
	}
	for name, f := range corrupt {
		b.Reset()
		err := d.DecodeFrame(f, &b)
		if !errors.Is(err, ErrCorruptBatch) || len(b.Records) != 0 {
			t.Fatalf("%s: err %v, %d records", name, err, len(b.Records))
		}
		var rb Batch
		if err := newRefDecoder(d.Now).decodeFrame(f, &rb); !errors.Is(err, ErrCorruptBatch) || len(rb.Records) != 0 {
			t.Fatalf("%s: reference err %v", name, err)
		}
	}

	// Raised payloads are counted as dropped.
	b.Reset()
	_ = d.DecodeFrame(AppendBatchFrame(nil, [][]byte{payload("event_type", 1), good[0]}), &b)
	if b.Dropped != 1 || b.Records[0].Type != TypeUnknown || b.Records[1].Type != SessionStarted {
		t.Fatalf("dropped: %+v", b)
	}
}

func TestDecodeMixMatchesReference(t *testing.T) {
	payloads := genMix(5000, 1)
	d := testDecoder()
	ref := newRefDecoder(d.Now)
	var b, rb Batch
	for _, f := range batchFrames(payloads, 1000) {
		if err := d.DecodeFrame(f, &b); err != nil {
			t.Fatal(err)
		}
		if err := ref.decodeFrame(f, &rb); err != nil {
			t.Fatal(err)
		}
	}
	if len(b.Records) != 5000 || len(rb.Records) != 5000 || b.Malformed != 0 {
		t.Fatalf("decoded %d/%d records, %d malformed", len(b.Records), len(rb.Records), b.Malformed)
	}
	for i := range b.Records {
		sameRecord(t, "mix", &b.Records[i], &rb.Records[i])
	}
}

func TestDecodeFrameZeroAlloc(t *testing.T) {
	frames := batchFrames(genMix(2000, 2), 1000)
	d := testDecoder()
	var b Batch
	for _, f := range frames {
		_ = d.DecodeFrame(f, &b)
	}
	allocs := testing.AllocsPerRun(20, func() {
		b.Reset()
		for _, f := range frames {
			if err := d.DecodeFrame(f, &b); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("DecodeFrame allocates %.1f times per 2000 records", allocs)
	}
}

// TestEveryEventTypeDecodes: each of upstream's event type strings
// (core/record.py, including #409's session.interrupted) decodes to its
// Type, and Type.String gives the string back.
func TestEveryEventTypeDecodes(t *testing.T) {
	d := testDecoder()
	names := []string{
		"session.started", "session.ended", "session.interrupted", "session.stop_loadgen",
		"session.start_performance_tracking", "session.stop_performance_tracking",
		"error.generic", "error.loadgen", "error.session", "error.client",
		"sample.issued", "sample.complete", "sample.recv_first", "sample.recv_non_first",
	}
	if len(names) != int(numTypes)-1 {
		t.Fatalf("%d names listed, the package has %d types", len(names), numTypes-1)
	}
	for _, name := range names {
		var r Record
		d.DecodePayload(payload("event_type", name, "timestamp_ns", 7), &r)
		if r.Err != nil || r.Type.String() != name {
			t.Errorf("%s: decoded as %v (err %v)", name, r.Type, r.Err)
		}
	}
	if typ, _ := ParseType([]byte("session.interrupted")); !typ.IsSession() {
		t.Error("session.interrupted is not a session event")
	}
}
