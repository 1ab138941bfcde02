package events

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// fuzzSeeds are realistic and edge-case frames for FuzzDecodeFrame.
func fuzzSeeds() [][]byte {
	mix := genMix(40, 7)
	seeds := [][]byte{
		AppendBatchFrame(nil, mix[:20]),
		AppendSingleFrame(nil, SampleIssued, mix[2]),
		AppendBatchFrame(nil, [][]byte{mix[3], {}, payload("event_type", "sample.nope")}),
	}
	for _, tc := range validationCases() {
		seeds = append(seeds, AppendSingleFrame(nil, SampleComplete, tc.p))
	}
	tc := []pyvalue.Value{
		pyvalue.ArrayOf(pyvalue.MapOf("index", 0, "id", "c1", "type", "function", "function", pyvalue.MapOf("name", "f", "arguments", "{\"a\":"))),
		pyvalue.ArrayOf(pyvalue.MapOf("index", 0, "function", pyvalue.MapOf("arguments", "1}"))),
	}
	seeds = append(seeds, AppendSingleFrame(nil, SampleComplete, AppendRecord(nil, RecordSpec{
		Type: SampleComplete, SampleUUID: "u", Data: tmoData(list(), Chunks{}, tc), HasFinish: true, FinishReason: "tool_calls",
	})))
	return seeds
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzDecodeFrame when
// EVENTS_WRITE_SEEDS is set.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("EVENTS_WRITE_SEEDS") == "" {
		t.Skip("set EVENTS_WRITE_SEEDS=1 to regenerate the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeFrame")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range fuzzSeeds() {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%03d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzDecodeFrame checks that DecodeFrame never panics, agrees with the
// msgpack/v5 reference decoder on every record, and that accepted records
// re-encode to payloads that decode to the same record (and data).
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(fuzzBody)
}

func fuzzBody(t *testing.T, frame []byte) {
	{
		d := testDecoder()
		ref := newRefDecoder(d.Now)
		var b, rb Batch
		err := d.DecodeFrame(frame, &b)
		rerr := ref.decodeFrame(frame, &rb)
		if (err != nil) != (rerr != nil) {
			t.Fatalf("frame error mismatch: hand=%v ref=%v", err, rerr)
		}
		if len(b.Records) != len(rb.Records) || b.Malformed != rb.Malformed || b.Dropped != rb.Dropped {
			t.Fatalf("batch mismatch: hand %d/%d/%d ref %d/%d/%d", len(b.Records), b.Malformed, b.Dropped, len(rb.Records), rb.Malformed, rb.Dropped)
		}
		for i := range b.Records {
			r := &b.Records[i]
			sameRecord(t, fmt.Sprint("record ", i), r, &rb.Records[i])
			if classify(r) != classify(&rb.Records[i]) {
				t.Fatalf("record %d: class mismatch %v vs %v", i, r.Err, rb.Records[i].Err)
			}
			if r.Err != nil {
				continue
			}
			spec := RecordSpec{Type: r.Type, TimestampNs: r.TimestampNs, SampleUUID: string(r.SampleUUID),
				ConversationID: string(r.ConversationID), Turn: r.Turn, HasTurn: r.HasTurn, Data: r.Data,
				FinishReason: string(r.FinishReason), HasFinish: r.HasFinish, WorkerID: r.WorkerID, HasWorkerID: r.HasWorkerID}
			var again Record
			d.DecodePayload(AppendRecord(nil, spec), &again)
			sameRecord(t, fmt.Sprint("re-encoded record ", i), r, &again)

			data, err := DecodeData(r.Data)
			if err != nil {
				t.Fatalf("record %d: DecodeData of accepted data: %v", i, err)
			}
			if data.Kind != r.DataKind {
				t.Fatalf("record %d: DecodeData kind %v, record %v", i, data.Kind, r.DataKind)
			}
			e1 := AppendData(nil, data)
			data2, err := DecodeData(e1)
			if err != nil {
				t.Fatalf("record %d: re-encoded data does not decode: %v", i, err)
			}
			if e2 := AppendData(nil, data2); !bytes.Equal(e1, e2) {
				t.Fatalf("record %d: data not stable under re-encoding:\n%x\n%x", i, e1, e2)
			}
			if data.Kind == DataTextModelOutput {
				tmo := data.TextModelOutput
				_, _ = tmo.Text()
				_, _ = tmo.TextAfterFirstChunk()
				_, _ = tmo.AsMessageParts()
				_, _ = tmo.AsMessagePartsAfterFirstChunk()
			}
		}
	}
}
