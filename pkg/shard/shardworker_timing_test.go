package shard

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/internal/tokcorpus"
	"github.com/mlperf-tools/aggregator/pkg/chattmpl"
	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// Round-trip and throughput figures of one worker:
//
//	go test -run '^$' -bench . -benchtime 3s ./pkg/shard/
//	SHARD_TIMING=1 go test -run 'TestTiming' -v ./pkg/shard/
//
// The interleaved timing alternates the in-process baseline and the
// workers and keeps the best of each, which is what survives noisy
// shared cores.

func TestTimingInterleaved(t *testing.T) {
	if os.Getenv("SHARD_TIMING") != "1" {
		t.Skip("set SHARD_TIMING=1")
	}
	dir := llama3Dir(t)
	tok, err := tokenize.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	texts, nbytes := corpusTexts()
	c := tok.NewCounter()
	tokens := 0
	for _, s := range texts {
		tokens += c.Count(s)
	}
	w1, _ := startWorker(t, dir, 1)
	w2, _ := startWorker(t, dir, 2)
	ctx := context.Background()
	runs := map[string]func(){
		"in-process, 1 goroutine": func() {
			for _, s := range texts {
				c.Count(s)
			}
		},
		"worker --procs 1": func() { w1.Count(ctx, texts, nil) },
		"worker --procs 2": func() { w2.Count(ctx, texts, nil) },
	}
	names := []string{"in-process, 1 goroutine", "worker --procs 1", "worker --procs 2"}
	best := map[string]time.Duration{}
	for range 25 {
		for _, n := range names {
			t0 := time.Now()
			runs[n]()
			if d := time.Since(t0); best[n] == 0 || d < best[n] {
				best[n] = d
			}
		}
	}
	for _, n := range names {
		d := best[n].Seconds()
		t.Logf("%-24s %7.2f ms/batch  %8.0f texts/s  %6.2f Mtok/s  %6.1f MB/s", n, d*1e3,
			float64(len(texts))/d, float64(tokens)/d/1e6, float64(nbytes)/d/1e6)
	}
	var rt []time.Duration
	for range 2000 {
		t0 := time.Now()
		w1.Count(ctx, nil, nil)
		rt = append(rt, time.Since(t0))
	}
	slices.Sort(rt)
	t.Logf("empty round trip: p50 %v, p99 %v, min %v", rt[len(rt)/2], rt[len(rt)*99/100], rt[0])
	t.Logf("batch: %d texts, %d tokens, %d bytes", len(texts), tokens, nbytes)
}

// BenchmarkRoundTripEmpty is the protocol overhead per batch: an empty
// count frame out, an empty counts frame back.
func BenchmarkRoundTripEmpty(b *testing.B) {
	w, _ := startWorker(b, tinyDir(b), 1)
	ctx := context.Background()
	for b.Loop() {
		if _, err := w.Count(ctx, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoundTrip1024Short: a live-lane-sized batch of short texts
// (1024 items, the live flush cap) on the tiny tokenizer: mostly framing.
func BenchmarkRoundTrip1024Short(b *testing.B) {
	w, _ := startWorker(b, tinyDir(b), 1)
	texts := make([]string, 1024)
	for i := range texts {
		texts[i] = "hello world"
	}
	ctx := context.Background()
	for b.Loop() {
		if _, err := w.Count(ctx, texts, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*1024/b.Elapsed().Seconds(), "texts/s")
}

// corpusTexts is the hard corpus without the 1 MB texts (~2k texts, ~1 MB).
func corpusTexts() ([]string, int) {
	var texts []string
	bytes := 0
	for _, x := range tokcorpus.Small(tokcorpus.DefaultSeed) {
		texts = append(texts, x.Text)
		bytes += len(x.Text)
	}
	return texts, bytes
}

// benchWorker measures texts/s and tokens/s through one worker of procs
// goroutines on the Llama-3 tokenizer.
func benchWorker(b *testing.B, procs int) {
	dir := llama3Dir(b)
	tok, err := tokenize.LoadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	texts, nbytes := corpusTexts()
	tokens := 0
	for _, n := range tok.CountBatch(texts, nil) {
		tokens += n
	}
	w, _ := startWorker(b, dir, procs)
	ctx := context.Background()
	if _, err := w.Count(ctx, texts, nil); err != nil { // warm the word caches
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := w.Count(ctx, texts, nil); err != nil {
			b.Fatal(err)
		}
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*len(texts))/s, "texts/s")
	b.ReportMetric(float64(b.N*tokens)/s, "tokens/s")
	b.ReportMetric(float64(b.N*nbytes)/s/1e6, "MB/s")
}

func BenchmarkWorkerLlama3Procs1(b *testing.B) { benchWorker(b, 1) }
func BenchmarkWorkerLlama3Procs2(b *testing.B) { benchWorker(b, 2) }

// BenchmarkInProcessLlama3 is the same corpus counted in this process on
// one goroutine: the baseline the worker's overhead is measured against.
func BenchmarkInProcessLlama3(b *testing.B) {
	tok, err := tokenize.LoadDir(llama3Dir(b))
	if err != nil {
		b.Fatal(err)
	}
	texts, nbytes := corpusTexts()
	c := tok.NewCounter()
	tokens := 0
	for _, s := range texts {
		tokens += c.Count(s)
	}
	for b.Loop() {
		for _, s := range texts {
			c.Count(s)
		}
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*len(texts))/s, "texts/s")
	b.ReportMetric(float64(b.N*tokens)/s, "tokens/s")
	b.ReportMetric(float64(b.N*nbytes)/s/1e6, "MB/s")
}

// chatConversation is a 20-message conversation (system, 19 alternating
// turns of a few sentences each) as a KindPrompt payload, as in
// pkg/chattmpl's BenchmarkDeepSeekV3.
func chatConversation() string {
	msgs := []pyvalue.Value{pyvalue.MapOf("role", "system", "content", "You are a helpful assistant.")}
	for i := 1; i < 20; i++ {
		role := "user"
		if i%2 == 0 {
			role = "assistant"
		}
		msgs = append(msgs, pyvalue.MapOf("role", role, "content", fmt.Sprintf("Turn %d: %s", i, strings.Repeat("The quick brown fox jumps over the lazy dog. ", 6))))
	}
	return string(tokwork.AppendPrompt(nil, events.PromptData{Messages: msgs}))
}

// BenchmarkChatPrompt measures one chat prompt (chatConversation, Llama-3
// template) rendered and counted in process, and through a worker one
// item per request and 64 items per request.
func BenchmarkChatPrompt(b *testing.B) {
	dir := llama3Dir(b)
	tok, err := tokenize.LoadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	payload := chatConversation()
	b.Run("in-process", func(b *testing.B) {
		c, err := chattmpl.NewCounter(tok)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if out := c.CountItem(tokwork.Prompt, payload); out.Err != "" || !out.Rendered {
				b.Fatal(out, err)
			}
		}
	})
	for _, n := range []int{1, 64} {
		for _, procs := range []int{1, 2} {
			b.Run(fmt.Sprintf("worker-procs%d-batch%d", procs, n), func(b *testing.B) {
				w, _ := startWorker(b, dir, procs)
				items := make([]string, n)
				kinds := make([]tokwork.Kind, n)
				for i := range items {
					items[i], kinds[i] = payload, tokwork.Prompt
				}
				ctx := context.Background()
				for b.Loop() {
					res, err := w.Count(ctx, items, kinds)
					if err != nil || !res[0].Rendered {
						b.Fatal(res, err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/item")
			})
		}
	}
}

// TestTimingStart measures a worker's start-up (spawn to hello) on the
// Llama-3 tokenizer: the cost of a restart after a render limit.
func TestTimingStart(t *testing.T) {
	if os.Getenv("SHARD_TIMING") != "1" {
		t.Skip("set SHARD_TIMING=1")
	}
	dir := llama3Dir(t)
	bin := workerBin(t)
	for _, procs := range []int{1, 2} {
		var ds []time.Duration
		for range 9 {
			t0 := time.Now()
			w, err := Start(context.Background(), Config{Bin: bin, TokenizerDir: dir, Procs: procs})
			if err != nil {
				t.Fatal(err)
			}
			ds = append(ds, time.Since(t0))
			w.Kill()
		}
		slices.Sort(ds)
		t.Logf("--procs %d: start to hello min %v, median %v, max %v", procs, ds[0].Round(time.Millisecond), ds[len(ds)/2].Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond))
	}
}
