package events

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// fixedNow is the clock of every test decoder.
const fixedNow = 777

func testDecoder() *Decoder { return &Decoder{Now: func() int64 { return fixedNow }} }

// strp returns a pointer to s.
func strp(s string) *string { return &s }

// tmoData encodes a TextModelOutput data field.
func tmoData(out Chunks, reasoning Chunks, tc []pyvalue.Value) []byte {
	return AppendData(nil, Data{Kind: DataTextModelOutput, TextModelOutput: TextModelOutput{Output: out, Reasoning: reasoning, ToolCalls: tc}})
}

func list(s ...string) Chunks { return Chunks{Kind: ChunksList, List: s} }
func one(s string) Chunks     { return Chunks{Kind: ChunksStr, Str: s} }

// genMix builds a realistic streaming event mix: per sample an issued
// (token_ids or text or messages prompt), a recv_first, several
// recv_non_first and a complete with chunked output; some errors and
// session events in between.
func genMix(n int, seed int64) [][]byte {
	rng := rand.New(rand.NewSource(seed))
	var out [][]byte
	ts := int64(1_000_000_000_000)
	add := func(s RecordSpec) {
		ts += int64(rng.Intn(50000))
		s.TimestampNs = ts
		out = append(out, AppendRecord(nil, s))
	}
	add(RecordSpec{Type: SessionStarted})
	add(RecordSpec{Type: SessionStartPerformanceTracking})
	words := []string{"alpha", "beta", "gamma", "delta", "ελληνικά", "quote\"d", "line\nbreak", "x"}
	for len(out) < n {
		uuid := fmt.Sprintf("%032x", rng.Uint64())
		var pd PromptData
		switch rng.Intn(3) {
		case 0:
			ids := make([]int64, 20+rng.Intn(200))
			for i := range ids {
				ids[i] = int64(rng.Intn(150000))
			}
			pd.TokenIDs = ids
		case 1:
			var b bytes.Buffer
			for i := 0; i < 30+rng.Intn(60); i++ {
				b.WriteString(words[rng.Intn(len(words))])
				b.WriteByte(' ')
			}
			pd.Text = strp(b.String())
		default:
			pd.Messages = []pyvalue.Value{pyvalue.MapOf("role", "user", "content", words[rng.Intn(len(words))])}
		}
		add(RecordSpec{Type: SampleIssued, SampleUUID: uuid, Data: AppendData(nil, Data{Kind: DataPromptData, PromptData: pd})})
		add(RecordSpec{Type: SampleRecvFirst, SampleUUID: uuid})
		chunks := make([]string, 1+rng.Intn(8))
		for i := range chunks {
			chunks[i] = words[rng.Intn(len(words))]
			if i > 0 {
				add(RecordSpec{Type: SampleRecvNonFirst, SampleUUID: uuid})
			}
		}
		if rng.Intn(50) == 0 {
			add(RecordSpec{Type: ErrorClient, SampleUUID: uuid, Data: AppendData(nil, Data{Kind: DataErrorData, ErrorData: ErrorData{ErrorType: "ClientError", ErrorMessage: "boom"}})})
		}
		var reasoning Chunks
		if rng.Intn(4) == 0 {
			reasoning = list("think", "more")
		}
		add(RecordSpec{Type: SampleComplete, SampleUUID: uuid, Data: tmoData(list(chunks...), reasoning, nil), FinishReason: "stop", HasFinish: true, WorkerID: int64(rng.Intn(8)), HasWorkerID: true})
	}
	return out[:n]
}

// batchFrames groups payloads into batch frames of size per frame.
func batchFrames(payloads [][]byte, size int) [][]byte {
	var frames [][]byte
	for i := 0; i < len(payloads); i += size {
		frames = append(frames, AppendBatchFrame(nil, payloads[i:min(i+size, len(payloads))]))
	}
	return frames
}

// sameRecord compares two records field by field (Err only by class).
func sameRecord(t testing.TB, what string, a, b *Record) {
	t.Helper()
	if (a.Err == nil) != (b.Err == nil) {
		t.Fatalf("%s: err mismatch: hand=%v ref=%v", what, a.Err, b.Err)
	}
	if a.Type != b.Type || a.TimestampNs != b.TimestampNs || !bytes.Equal(a.SampleUUID, b.SampleUUID) ||
		!bytes.Equal(a.ConversationID, b.ConversationID) || a.Turn != b.Turn || a.HasTurn != b.HasTurn ||
		!bytes.Equal(a.FinishReason, b.FinishReason) || a.HasFinish != b.HasFinish ||
		a.WorkerID != b.WorkerID || a.HasWorkerID != b.HasWorkerID || a.DataKind != b.DataKind ||
		!bytes.Equal(a.Data, b.Data) || a.TokenIDs != b.TokenIDs {
		t.Fatalf("%s: records differ:\nhand=%+v\nref =%+v", what, *a, *b)
	}
}

// toValue is the Value of a Go literal (string, int, int64, float64, bool,
// nil or a Value), as pyvalue.MapOf converts its arguments.
func toValue(x any) pyvalue.Value { return pyvalue.MapOf("", x).Map[0].Value }
