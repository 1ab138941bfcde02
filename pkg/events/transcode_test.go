package events

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// testdata/events_small.jsonl was made by
// /work/shared/oracle/gen_events.py -n 40 --seed 3 (msgspec-format JSON of
// upstream EventRecords).
func TestTranscodeEventsFile(t *testing.T) {
	f, err := os.Open("testdata/events_small.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	d := testDecoder()
	var buf []byte
	kinds := map[DataKind]int{}
	lines := 0
	for sc.Scan() {
		line := sc.Bytes()
		lines++
		buf, err = TranscodeJSONRecord(line, buf[:0])
		if err != nil {
			t.Fatalf("line %d: %v", lines, err)
		}
		var r Record
		d.DecodePayload(buf, &r)
		if r.Err != nil {
			t.Fatalf("line %d: %v", lines, r.Err)
		}
		var exp struct {
			EventType    string          `json:"event_type"`
			TimestampNs  int64           `json:"timestamp_ns"`
			SampleUUID   string          `json:"sample_uuid"`
			Turn         *int64          `json:"turn"`
			FinishReason *string         `json:"finish_reason"`
			Data         json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(line, &exp); err != nil {
			t.Fatal(err)
		}
		if r.Type.String() != exp.EventType || r.TimestampNs != exp.TimestampNs || string(r.SampleUUID) != exp.SampleUUID ||
			r.HasTurn != (exp.Turn != nil) || (exp.Turn != nil && r.Turn != *exp.Turn) ||
			r.HasFinish != (exp.FinishReason != nil) || (exp.FinishReason != nil && string(r.FinishReason) != *exp.FinishReason) {
			t.Fatalf("line %d: record %+v does not match %s", lines, r, line)
		}
		kinds[r.DataKind]++
		data, err := DecodeData(r.Data)
		if err != nil {
			t.Fatalf("line %d: DecodeData: %v", lines, err)
		}
		if r.DataKind == DataPromptData && data.PromptData.TokenIDs != nil && len(data.PromptData.TokenIDs) != r.TokenIDs {
			t.Fatalf("line %d: TokenIDs %d vs %d", lines, r.TokenIDs, len(data.PromptData.TokenIDs))
		}
		if r.DataKind == DataTextModelOutput {
			if _, err := data.TextModelOutput.TextAfterFirstChunk(); err != nil {
				t.Fatalf("line %d: %v", lines, err)
			}
		}
		// The msgpack payload rendered back as msgspec JSON is the line.
		v, err := DecodeValue(buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := pyvalue.AppendJSON(nil, v); !bytes.Equal(got, line) {
			t.Fatalf("line %d: round trip differs:\n got %s\nwant %s", lines, got, line)
		}
	}
	if lines < 500 || kinds[DataPromptData] == 0 || kinds[DataTextModelOutput] == 0 || kinds[DataErrorData] == 0 || kinds[DataNone] == 0 {
		t.Fatalf("file coverage too thin: %d lines, kinds %v", lines, kinds)
	}
}

func TestTranscodeJSONRecordValues(t *testing.T) {
	cases := []struct {
		in   string
		want pyvalue.Value
	}{
		{`{"a":1,"b":-1,"c":1.0,"d":1e3,"e":2E-2,"f":18446744073709551615,"g":-9223372036854775808}`,
			pyvalue.MapOf("a", 1, "b", -1, "c", 1.0, "d", 1000.0, "e", 0.02, "f", pyvalue.Value{Kind: pyvalue.KindUint, Uint: 18446744073709551615}, "g", pyvalue.Int(-9223372036854775808))},
		{` { "s" : "\u00e9\ud83d\ude00\n\"\/" , "n" : [ null , true , false , [ ] , { } ] } `,
			pyvalue.MapOf("s", "é😀\n\"/", "n", pyvalue.ArrayOf(pyvalue.Nil(), pyvalue.Bool(true), pyvalue.Bool(false), pyvalue.ArrayOf(), pyvalue.MapOf()))},
	}
	for _, c := range cases {
		got, err := TranscodeJSONRecord([]byte(c.in), nil)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if want := pyvalue.AppendMsgpack(nil, c.want); !bytes.Equal(got, want) {
			t.Fatalf("%s:\n got %x\nwant %x", c.in, got, want)
		}
	}
	// A 20-entry object needs a map16 header: the placeholder shrinks right.
	var sb bytes.Buffer
	sb.WriteString("{")
	m := pyvalue.Value{Kind: pyvalue.KindMap}
	for i := 0; i < 20; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		k := string(rune('a' + i))
		sb.WriteString(`"` + k + `":` + "300")
		m.Set(pyvalue.Str(k), pyvalue.Int(300))
	}
	sb.WriteString("}")
	got, err := TranscodeJSONRecord(sb.Bytes(), []byte("prefix"))
	if err != nil || !bytes.Equal(got, append([]byte("prefix"), pyvalue.AppendMsgpack(nil, m)...)) {
		t.Fatalf("map16: %v %x", err, got)
	}
	for _, bad := range []string{``, `{`, `{"a":}`, `{"a":1,}`, `[1 2]`, `"\ud800"`, `01`, `1.5.5x`, `{"a":1} x`, `tru`, `"\q"`, "\"\xff\"", `99999999999999999999`} {
		if _, err := TranscodeJSONRecord([]byte(bad), nil); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
