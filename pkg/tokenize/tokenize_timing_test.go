package tokenize

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/internal/tokoracle"
)

// answerTexts returns n LLM-answer-like texts of about 4k tokens each:
// markdown prose, lists, code blocks, numbers, a little non-Latin text.
func answerTexts(n int) []string {
	r := rand.New(rand.NewPCG(42, 1))
	words := strings.Fields(`the of and to in is that for it as was with be by on not he this are or his from at which
		but have an they you were her she there been one all we their has would when if so no will more can about what
		model token performance benchmark latency throughput request server response answer question example result
		function variable compute implementation system approach consider however therefore important different`)
	para := func(b *strings.Builder) {
		n := 40 + r.IntN(60)
		for i := 0; i < n; i++ {
			w := words[r.IntN(len(words))]
			if i == 0 || r.IntN(12) == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			b.WriteString(w)
			switch r.IntN(20) {
			case 0:
				b.WriteString(",")
			case 1:
				b.WriteString(".")
			case 2:
				fmt.Fprintf(b, " %d", r.IntN(100000))
			case 3:
				b.WriteString("'s")
			}
			b.WriteString(" ")
		}
		b.WriteString("\n\n")
	}
	code := "```python\ndef compute(values, scale=1.0):\n    total = 0\n    for i, v in enumerate(values):\n        total += v * scale  # accumulate\n    return {\"total\": total, \"n\": len(values)}\n```\n\n"
	out := make([]string, n)
	for k := range out {
		var b strings.Builder
		for b.Len() < 16000 {
			switch r.IntN(8) {
			case 0:
				b.WriteString(code)
			case 1:
				fmt.Fprintf(&b, "1. **Step %d**: %s\n2. Result: %.3f ms\n\n", r.IntN(9), words[r.IntN(len(words))], r.Float64()*100)
			case 2:
				b.WriteString("Résumé: naïve café — 東京で会議があります。数据：12345。\n\n")
			default:
				para(&b)
			}
		}
		out[k] = b.String()
	}
	return out
}

var benchModels = []string{"deepseek_v3", "llama3", "qwen3", "gptoss", "llama2", "gemma3", "demo"}

var (
	benchTokOnce sync.Map // name -> *Tokenizer
)

func benchTokenizer(b *testing.B, name string) *Tokenizer {
	if v, ok := benchTokOnce.Load(name); ok {
		return v.(*Tokenizer)
	}
	tok, err := LoadDir(modelDir(b, name))
	if err != nil {
		b.Fatal(err)
	}
	benchTokOnce.Store(name, tok)
	return tok
}

// BenchmarkCount: single-goroutine tokens/s on ~4k-token answers, with
// and without the word cache.
//
//	go test -run '^$' -bench Count -benchmem -cpu 1 ./pkg/tokenize/
func BenchmarkCount(b *testing.B) {
	texts := answerTexts(8)
	for _, name := range benchModels {
		benchCounts(b, name, func(b *testing.B) *Tokenizer { return benchTokenizer(b, name) }, texts)
	}
}

// benchCounts runs the name/cache and name/nocache sub-benchmarks: one
// Counter (with and without the word cache) counting texts round-robin,
// buffers and cache warmed first, reporting tokens/s and tokens per op.
// load gives the tokenizer (called inside, so a -bench filter skips it).
func benchCounts(b *testing.B, name string, load func(*testing.B) *Tokenizer, texts []string) {
	for _, cached := range []bool{true, false} {
		label := "cache"
		if !cached {
			label = "nocache"
		}
		b.Run(name+"/"+label, func(b *testing.B) {
			tok := load(b)
			c := tok.NewCounter()
			if !cached {
				c = tok.NewCounterNoCache()
			}
			for _, s := range texts { // warm buffers (and the cache)
				c.Count(s)
			}
			tokens := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				tokens += c.Count(texts[i%len(texts)])
			}
			b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tok/s")
			b.ReportMetric(float64(tokens)/float64(b.N), "tok/op")
		})
	}
}

// BenchmarkCountParallel: Tokenizer.Count from b.RunParallel, to compare
// -cpu 1 and -cpu 2 (scaling through the Counter pool).
//
//	go test -run '^$' -bench CountParallel -cpu 1,2 ./pkg/tokenize/
func BenchmarkCountParallel(b *testing.B) {
	texts := answerTexts(8)
	for _, name := range []string{"deepseek_v3", "llama3", "llama2"} {
		b.Run(name, func(b *testing.B) {
			tok := benchTokenizer(b, name)
			for _, s := range texts {
				tok.Count(s)
			}
			var mu sync.Mutex
			total := 0
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				n, i := 0, 0
				for pb.Next() {
					n += tok.Count(texts[i%len(texts)])
					i++
				}
				mu.Lock()
				total += n
				mu.Unlock()
			})
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "tok/s")
		})
	}
}

// TestLoadFigures logs load time and live heap per tokenizer
// (go test -v -run LoadFigures ./pkg/tokenize/): figures, not assertions,
// as the machines are shared.
func TestLoadFigures(t *testing.T) {
	if tokoracle.RaceEnabled {
		t.Skip("load figures under -race measure the race detector; run it without -race, or make bench-tokenize")
	}
	for _, name := range realModels {
		dir := modelDir(t, name)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		tok, err := LoadFile(filepath.Join(dir, "tokenizer.json"))
		elapsed := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		t.Logf("%-12s load %4d ms  live heap %5.1f MB  vocab %d  merges %d  added %d", name,
			elapsed.Milliseconds(), float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20),
			tok.model.size(), tok.model.(*bpeModel).merges.n, len(tok.added.byID))
		runtime.KeepAlive(tok)
	}
}
