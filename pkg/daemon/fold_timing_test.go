package daemon

import (
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"

	"github.com/mlperf-tools/aggregator/pkg/aggregator"
	"github.com/mlperf-tools/aggregator/pkg/events"
)

// foldMix is a realistic streaming workload, pre-encoded as the load
// generator sends it: batch frames of up to 1000 records.
type foldMix struct {
	setup  []byte   // STARTED + START_PERFORMANCE_TRACKING
	frames [][]byte // one pass: creates and completes every sample
	events int      // records in one pass
}

// buildFoldMix encodes samples samples in groups of inflight concurrent
// requests: per sample ISSUED (token_ids), RECV_FIRST, nonFirst
// RECV_NON_FIRST, COMPLETE (streamed TextModelOutput chunks, finish
// reason); one sample in 50 also gets an error.client before its COMPLETE.
// Every pass over frames creates and completes all its samples, so folding
// the frames again and again keeps the table at the in-flight peak.
func buildFoldMix(samples, inflight, nonFirst int) foldMix {
	var m foldMix
	var enc events.Encoder
	enc.Add(events.RecordSpec{Type: events.SessionStarted, TimestampNs: 1})
	enc.Add(events.RecordSpec{Type: events.SessionStartPerformanceTracking, TimestampNs: 2})
	m.setup = enc.Flush(nil)

	uuids := make([]string, samples)
	prompts := make([][]byte, samples)
	outputs := make([][]byte, samples)
	for i := range uuids {
		uuids[i] = fmt.Sprintf("%032x", uint64(i)*0x9e3779b97f4a7c15)
		ids := make([]int64, 64+(i*37)%448)
		for j := range ids {
			ids[j] = int64((i*131 + j*7919) % 151_000)
		}
		prompts[i] = events.AppendData(nil, events.Data{Kind: events.DataPromptData, PromptData: events.PromptData{TokenIDs: ids}})
		chunks := make([]string, nonFirst+1)
		for j := range chunks {
			chunks[j] = fmt.Sprintf(" tok%d", j)
		}
		outputs[i] = events.AppendData(nil, events.Data{Kind: events.DataTextModelOutput,
			TextModelOutput: events.TextModelOutput{Output: events.Chunks{Kind: events.ChunksList, List: chunks}}})
	}
	errData := events.AppendData(nil, events.Data{Kind: events.DataErrorData,
		ErrorData: events.ErrorData{ErrorType: "ClientError", ErrorMessage: "connection reset"}})

	ts := int64(1_000)
	add := func(s events.RecordSpec) {
		ts += 1_000 + int64(m.events%7)*100
		s.TimestampNs = ts
		enc.Add(s)
		m.events++
		if enc.Len() == 1000 {
			m.frames = append(m.frames, enc.Flush(nil))
		}
	}
	for g := 0; g < samples; g += inflight {
		group := uuids[g:min(g+inflight, samples)]
		for i, u := range group {
			add(events.RecordSpec{Type: events.SampleIssued, SampleUUID: u, Data: prompts[g+i], WorkerID: int64(i % 8), HasWorkerID: true})
		}
		for _, u := range group {
			add(events.RecordSpec{Type: events.SampleRecvFirst, SampleUUID: u})
		}
		for r := 0; r < nonFirst; r++ {
			for _, u := range group {
				add(events.RecordSpec{Type: events.SampleRecvNonFirst, SampleUUID: u})
			}
		}
		for i, u := range group {
			if (g+i)%50 == 49 {
				add(events.RecordSpec{Type: events.ErrorClient, SampleUUID: u, Data: errData})
			}
			reason := "stop"
			if (g+i)%10 == 0 {
				reason = "length"
			}
			add(events.RecordSpec{Type: events.SampleComplete, SampleUUID: u, Data: outputs[g+i],
				FinishReason: reason, HasFinish: true, WorkerID: int64(i % 8), HasWorkerID: true})
		}
	}
	if enc.Len() > 0 {
		m.frames = append(m.frames, enc.Flush(nil))
	}
	return m
}

// BenchmarkDecodeFold measures the owner loop's per-frame work without I/O:
// decode a 1000-record batch frame (events.Decoder, reused events.Batch)
// and fold it (Aggregator.Process) with --streaming and no tokenizer. One
// op is one frame; events/s and ns/event are reported. Series raw-value
// slices grow with the run (amortised), which is the only memory growth.
//
//	go test -run '^$' -bench DecodeFold -benchmem -cpu 1 ./pkg/daemon/
func BenchmarkDecodeFold(b *testing.B) {
	mix := buildFoldMix(2048, 64, 8)
	agg, err := aggregator.New(aggregator.Config{Streaming: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	var dec events.Decoder
	var batch events.Batch
	if err := dec.DecodeFrame(mix.setup, &batch); err != nil {
		b.Fatal(err)
	}
	agg.Process(batch.Records)
	// One warm-up pass grows the table pages, the index and the batch.
	for _, f := range mix.frames {
		batch.Reset()
		if err := dec.DecodeFrame(f, &batch); err != nil {
			b.Fatal(err)
		}
		agg.Process(batch.Records)
	}
	recs := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		f := mix.frames[i%len(mix.frames)]
		batch.Reset()
		if err := dec.DecodeFrame(f, &batch); err != nil {
			b.Fatal(err)
		}
		agg.Process(batch.Records)
		recs += len(batch.Records)
	}
	b.StopTimer()
	if n := agg.Table().Len(); n > 64 {
		b.Fatalf("table grew to %d rows; the mix must complete its samples", n)
	}
	b.ReportMetric(float64(recs)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(recs), "ns/event")
}

// The benchmark's mix is what it claims: every sample completes, tracked,
// with the expected counters.
func TestFoldMixCompletesEverySample(t *testing.T) {
	mix := buildFoldMix(200, 64, 8)
	agg, err := aggregator.New(aggregator.Config{Streaming: true})
	if err != nil {
		t.Fatal(err)
	}
	var dec events.Decoder
	var batch events.Batch
	for _, f := range append([][]byte{mix.setup}, mix.frames...) {
		batch.Reset()
		if err := dec.DecodeFrame(f, &batch); err != nil {
			t.Fatal(err)
		}
		if batch.Malformed+batch.Dropped != 0 {
			t.Fatalf("mix has %d undecodable records", batch.Malformed+batch.Dropped)
		}
		agg.Process(batch.Records)
	}
	if want := 200*11 + 4; mix.events != want {
		t.Errorf("events = %d, want %d", mix.events, want)
	}
	reg := agg.Registry()
	for name, want := range map[string]int64{
		snapshot.TrackedSamplesCompleted: 200,
		snapshot.TrackedSamplesFailed:    4,
		snapshot.TrackedFinishReasonStop: 180,
	} {
		id, _ := reg.CounterByName(name)
		if got := reg.Counter(id); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	if n := agg.Table().Len(); n != 0 {
		t.Errorf("%d rows left in flight", n)
	}
}
