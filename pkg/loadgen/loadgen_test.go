package loadgen

import (
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/aggregator"
	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

func smallConfig() Config {
	c := DemoConfig()
	c.Block = 300 * time.Millisecond
	c.BurstFor, c.BurstWords = 100*time.Millisecond, 300
	return c
}

// TestScheduleShape: ordered in time, STARTED first, ENDED last, one
// START/STOP pair per block (two blocks and the burst), every issued
// sample completes once.
func TestScheduleShape(t *testing.T) {
	items := Schedule(smallConfig())
	if items[0].Spec.Type != events.SessionStarted || items[len(items)-1].Spec.Type != events.SessionEnded {
		t.Fatalf("first %v, last %v", items[0].Spec.Type, items[len(items)-1].Spec.Type)
	}
	counts := map[events.Type]int{}
	for i, it := range items {
		if i > 0 && it.At < items[i-1].At {
			t.Fatalf("item %d at %v before %v", i, it.At, items[i-1].At)
		}
		counts[it.Spec.Type]++
	}
	if counts[events.SessionStartPerformanceTracking] != 3 || counts[events.SessionStopPerformanceTracking] != 3 {
		t.Errorf("tracking events: %v", counts)
	}
	if counts[events.SampleIssued] == 0 || counts[events.SampleIssued] != counts[events.SampleComplete] {
		t.Errorf("issued %d, complete %d", counts[events.SampleIssued], counts[events.SampleComplete])
	}
	if counts[events.SampleRecvFirst] != counts[events.SampleIssued] {
		t.Errorf("streaming: recv_first %d for %d samples", counts[events.SampleRecvFirst], counts[events.SampleIssued])
	}
	if counts[events.ErrorClient] == 0 {
		t.Error("no errors in the schedule")
	}
}

// TestPlayFoldsCleanly plays the schedule (instantly: offsets are ignored
// by shifting them to zero) through the real decoder and fold, and checks
// the counters agree with the schedule.
func TestPlayFoldsCleanly(t *testing.T) {
	items := Schedule(smallConfig())
	issued, warm := 0, 0
	tracking := false
	for i := range items {
		switch items[i].Spec.Type {
		case events.SessionStartPerformanceTracking:
			tracking = true
		case events.SessionStopPerformanceTracking:
			tracking = false
		case events.SampleIssued:
			issued++
			if !tracking {
				warm++
			}
		}
		items[i].At = 0
	}
	agg, err := aggregator.New(aggregator.Config{Streaming: true})
	if err != nil {
		t.Fatal(err)
	}
	var dec events.Decoder
	var batch events.Batch
	frames := 0
	err = Play(items, 100, func(frame []byte) error {
		frames++
		batch.Reset()
		if err := dec.DecodeFrame(frame, &batch); err != nil {
			return err
		}
		if batch.Malformed+batch.Dropped > 0 {
			t.Fatalf("malformed records in a generated frame")
		}
		agg.Process(batch.Records)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !agg.Ended() {
		t.Fatal("ENDED not folded")
	}
	var s snapshot.Snapshot
	agg.Build(&s, snapshot.Complete, 0, 0)
	get := func(name string) int64 {
		for _, c := range s.Counters {
			if c.Name == name {
				return c.Value.I
			}
		}
		t.Fatalf("no counter %s", name)
		return 0
	}
	if got := get(snapshot.TotalSamplesIssued); got != int64(issued) {
		t.Errorf("total issued %d, want %d", got, issued)
	}
	if got := get(snapshot.TrackedSamplesIssued); got != int64(issued-warm) {
		t.Errorf("tracked issued %d, want %d", got, issued-warm)
	}
	if get(snapshot.TrackedSamplesCompleted) != int64(issued-warm) {
		t.Errorf("tracked completed %d, want %d", get(snapshot.TrackedSamplesCompleted), issued-warm)
	}
	if frames < 10 {
		t.Errorf("only %d frames: batching or session single frames broken", frames)
	}
}

// TestTokenMix: with Tokens the run carries every input the token
// pipeline handles: text, pre-tokenized and structured prompts (some with
// tools), plain, reasoning and tool-call outputs; and texts are mostly
// distinct (the queue counts a text once).
func TestTokenMix(t *testing.T) {
	var text, ids, chat, tools, reasoning, toolCalls, plain int
	texts := map[string]bool{}
	for _, it := range Schedule(smallConfig()) {
		if it.Spec.Data == nil {
			continue
		}
		d, err := events.DecodeData(it.Spec.Data)
		if err != nil {
			t.Fatal(err)
		}
		switch it.Spec.Type {
		case events.SampleIssued:
			p := d.PromptData
			switch {
			case p.TokenIDs != nil:
				ids++
			case p.Text != nil:
				text++
				texts[*p.Text] = true
			case p.Messages != nil:
				chat++
				if p.Tools != nil {
					tools++
				}
			}
		case events.SampleComplete:
			o := d.TextModelOutput
			switch {
			case len(o.ToolCalls) > 0:
				toolCalls++
			case o.Reasoning.Truthy():
				reasoning++
			default:
				plain++
			}
		}
	}
	for name, n := range map[string]int{"text": text, "token_ids": ids, "chat": chat, "tools": tools,
		"reasoning": reasoning, "tool calls": toolCalls, "plain": plain} {
		if n == 0 {
			t.Errorf("no %s samples", name)
		}
	}
	if len(texts) < text*9/10 {
		t.Errorf("%d distinct text prompts of %d", len(texts), text)
	}
}
