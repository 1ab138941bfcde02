package events

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

const python = "/usr/bin/python3"

func needPyMsgpack(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import msgpack").Run(); err != nil {
		t.Skipf("%s lacks msgpack: %v", python, err)
	}
}

func writeFrames(t *testing.T, frames [][]byte) string {
	t.Helper()
	var buf []byte
	for _, f := range frames {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(f)))
		buf = append(buf, f...)
	}
	path := filepath.Join(t.TempDir(), "frames.bin")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// crossRecords covers every field, every data kind and header sizes.
func crossRecords() []RecordSpec {
	tc := []pyvalue.Value{pyvalue.ArrayOf(pyvalue.MapOf("index", 0, "id", "c1", "function", pyvalue.MapOf("name", "f", "arguments", "{")))}
	return []RecordSpec{
		{Type: SessionStarted, TimestampNs: 1},
		{Type: SampleIssued, TimestampNs: 1 << 40, SampleUUID: "u1", Data: AppendData(nil, Data{Kind: DataPromptData, PromptData: PromptData{TokenIDs: []int64{1, 200, 70000, 1 << 33, -1, -40000}}})},
		{Type: SampleIssued, TimestampNs: 3, SampleUUID: "u2", ConversationID: "conv", Turn: 7, HasTurn: true, Data: AppendData(nil, Data{Kind: DataPromptData, PromptData: PromptData{Text: strp(strings.Repeat("héllo wörld ", 30))}})},
		{Type: SampleIssued, TimestampNs: 4, SampleUUID: "u3", Data: AppendData(nil, Data{Kind: DataPromptData, PromptData: PromptData{
			Messages: []pyvalue.Value{pyvalue.MapOf("role", "user", "content", "hi")}, Tools: []pyvalue.Value{pyvalue.MapOf("type", "function")},
			ChatTemplateKwargs: &pyvalue.Value{Kind: pyvalue.KindMap, Map: []pyvalue.KV{{Key: pyvalue.Str("enable_thinking"), Value: pyvalue.Bool(false)}}}, ChatTemplate: strp("{{ x }}"), ToolChoice: &pyvalue.Value{Kind: pyvalue.KindStr, Str: "auto"}}})},
		{Type: SampleComplete, TimestampNs: 6, SampleUUID: "u1", Data: tmoData(list("a", "b", "ç"), list("r"), nil), FinishReason: "stop", HasFinish: true, WorkerID: 3, HasWorkerID: true},
		{Type: SampleComplete, TimestampNs: 7, SampleUUID: "u2", Data: tmoData(one(strings.Repeat("x", 70000)), Chunks{}, tc), FinishReason: "tool_calls", HasFinish: true},
		{Type: ErrorClient, TimestampNs: 8, SampleUUID: "u3", Data: AppendData(nil, Data{Kind: DataErrorData, ErrorData: ErrorData{ErrorType: "ClientError", ErrorMessage: "boom"}})},
		{Type: SampleRecvNonFirst, TimestampNs: -5, SampleUUID: "u1", WorkerID: -100000, HasWorkerID: true},
	}
}

// Go-encoded frames decoded by python3-msgpack the way upstream's
// subscriber does must give the objects Go decodes from them.
func TestPythonDecodesGoFrames(t *testing.T) {
	needPyMsgpack(t)
	specs := crossRecords()
	var enc Encoder
	var payloads [][]byte
	for _, s := range specs {
		enc.Add(s)
		payloads = append(payloads, AppendRecord(nil, s))
	}
	frames := [][]byte{enc.Flush(nil), AppendSingleFrame(nil, specs[0].Type, payloads[0])}
	enc.Add(specs[1])
	frames = append(frames, enc.Flush(nil)) // one record: a single frame
	if !bytes.HasPrefix(frames[2], []byte("sample.issued\x00")) {
		t.Fatalf("single-record flush is not a single frame: %q", frames[2][:40])
	}
	out, err := exec.Command(python, "testdata/pymsgpack_frames.py", "decode", writeFrames(t, frames)).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	want := append(append(append([][]byte{}, payloads...), payloads[0]), payloads[1])
	if len(lines) != len(want) {
		t.Fatalf("python saw %d records, want %d:\n%s", len(lines), len(want), out)
	}
	for i, p := range want {
		v, err := DecodeValue(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(pyvalue.AppendJSON(nil, v)); got != lines[i] {
			t.Errorf("record %d:\n go     %s\n python %s", i, got, lines[i])
		}
	}
}

// Python-built frames (msgpack.packb of the EventRecord dict in msgspec's
// field order) must decode in Go, and AppendRecord must produce the very
// same bytes.
func TestGoDecodesPythonFrames(t *testing.T) {
	needPyMsgpack(t)
	path := filepath.Join(t.TempDir(), "py.bin")
	out, err := exec.Command(python, "testdata/pymsgpack_frames.py", "encode", path).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for len(raw) > 0 {
		n := binary.BigEndian.Uint32(raw)
		frames = append(frames, raw[4:4+n])
		raw = raw[4+n:]
	}
	d := testDecoder()
	var b Batch
	for _, f := range frames {
		if err := d.DecodeFrame(f, &b); err != nil {
			t.Fatal(err)
		}
	}
	if len(b.Records) != 10 || b.Malformed+b.Dropped != 0 {
		t.Fatalf("decoded %d records (%d bad)", len(b.Records), b.Malformed+b.Dropped)
	}
	r := b.Records
	if r[1].Type != SampleIssued || r[1].TimestampNs != 1<<40 || r[1].TokenIDs != 4 || r[5].DataKind != DataTextModelOutput ||
		string(r[5].FinishReason) != "stop" || r[5].WorkerID != 3 || r[2].Turn != 7 || string(r[2].ConversationID) != "conv" ||
		r[8].TimestampNs != -5 || r[8].WorkerID != -100000 || r[7].DataKind != DataErrorData || r[9].Type != SampleRecvFirst {
		t.Fatalf("records: %+v", r)
	}
	// Byte-identical re-encoding of every Python payload.
	pyHex := strings.Fields(string(out))
	for i, h := range pyHex {
		want, _ := hex.DecodeString(h)
		x := &r[i]
		spec := RecordSpec{Type: x.Type, TimestampNs: x.TimestampNs, SampleUUID: string(x.SampleUUID), ConversationID: string(x.ConversationID),
			Turn: x.Turn, HasTurn: x.HasTurn, Data: x.Data, FinishReason: string(x.FinishReason), HasFinish: x.HasFinish, WorkerID: x.WorkerID, HasWorkerID: x.HasWorkerID}
		if got := AppendRecord(nil, spec); !bytes.Equal(got, want) {
			t.Errorf("record %d:\n go %x\n py %x", i, got, want)
		}
		// And the data re-encoded from its decoded form (all fields, as msgspec writes them).
		if x.Data != nil {
			data, err := DecodeData(x.Data)
			if err != nil {
				t.Fatal(err)
			}
			if got := AppendData(nil, data); !bytes.Equal(got, x.Data) {
				t.Errorf("record %d data:\n go %x\n py %x", i, got, x.Data)
			}
		}
	}
	tmo, _ := DecodeData(r[6].Data)
	if s, err := tmo.TextModelOutput.Text(); err != nil || !strings.HasSuffix(s, `[{"type":"function","function":{"arguments":"{","name":"f"},"id":"c"}]`) {
		t.Fatalf("tool-call text: %q %v", s, err)
	}
}
