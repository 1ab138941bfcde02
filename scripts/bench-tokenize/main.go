// Command bench-tokenize measures pkg/tokenize against the Hugging Face
// tokenizers library (Rust, via scripts/tokenizer-oracle/count.js, single
// thread) on the same ~4k-token LLM answers (tokcorpus.Answers4k),
// interleaving the two in one run: every round times HF, ours with a word
// cache, ours without, and ours on 2 goroutines, one after the other. It
// also reports each tokenizer's load time and live heap. Run it through
// scripts/bench-tokenize.sh.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/mlperf-tools/aggregator/internal/tokcorpus"
	"github.com/mlperf-tools/aggregator/internal/tokoracle"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
)

func main() {
	models := flag.String("models", "deepseek_v3,llama3,llama2,qwen3,gptoss,demo,wordpiece,wordlevel,unigram,tiktoken_cl100k",
		"comma-separated model names: oracle models, or the built ones ("+strings.Join(builtNames, ", ")+")")
	nTexts := flag.Int("texts", 16, "number of ~4k-token answers per pass")
	rounds := flag.Int("rounds", 5, "interleaved rounds (medians are reported)")
	flag.Parse()
	if err := tokoracle.Available(); err != nil {
		fail(err)
	}
	texts := tokcorpus.Answers4k(*nTexts)
	work, err := os.MkdirTemp("", "bench-tokenize-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(work)
	var rows []row
	for _, name := range strings.Split(*models, ",") {
		fmt.Fprintf(os.Stderr, "bench-tokenize: %s ...\n", name)
		ourDir, hfJSON, err := modelFiles(name, work)
		if err != nil {
			fail(err)
		}
		r, err := benchModel(name, ourDir, hfJSON, texts, *rounds)
		if err != nil {
			fail(fmt.Errorf("%s: %w", name, err))
		}
		rows = append(rows, r)
	}
	printTable(rows, *nTexts, *rounds)
}

// row is one model's result (rates in tokens/s, medians over rounds).
type row struct {
	model                   string
	tokens                  int     // per pass
	hf, warm, cold, nocache float64 // single-thread rates
	g2                      float64 // aggregate rate of 2 goroutines (warm caches)
	hfCPU, oursCPU          float64 // CPU time / wall time of the single-thread passes
	loadOurs                time.Duration
	loadHF                  time.Duration
	heap                    uint64
}

// benchModel times the tokenizer we load from ourDir against the HF library
// with the tokenizer.json at hfJSON (the same tokenizer).
func benchModel(name, ourDir, hfJSON string, texts []string, rounds int) (row, error) {
	r := row{model: name}
	tok, load, heap, err := loadMeasured(ourDir)
	if err != nil {
		return r, err
	}
	r.loadOurs, r.heap = load, heap

	hf, err := tokoracle.StartBench(hfJSON, texts)
	if err != nil {
		return r, err
	}
	defer hf.Close()
	r.loadHF = time.Duration(hf.LoadMS * float64(time.Millisecond))
	c := tok.NewCounterNoCache()
	for i, s := range texts {
		if got := c.Count(s); got != hf.Counts[i] {
			return r, fmt.Errorf("text %d: ours %d tokens, HF %d: counts differ, timing would be meaningless", i, got, hf.Counts[i])
		}
		r.tokens += hf.Counts[i]
	}

	var hfRates, wRates, cRates, ncRates, g2Rates, hfCPU, oursCPU []float64
	// Long-lived Counters, like the daemon's workers: their caches persist
	// across rounds, as HF's per-model word cache does.
	warm := tok.NewCounter()
	workers := []*tokenize.Counter{tok.NewCounter(), tok.NewCounter()}
	for _, c := range append(workers, warm) {
		pass(c, texts) // warm-up
	}
	for i := 0; i < rounds; i++ {
		h, err := hf.Round()
		if err != nil {
			return r, err
		}
		hfRates = append(hfRates, h.TokensPerSec())
		hfCPU = append(hfCPU, float64(h.CPUNS)/float64(h.WallNS))

		rate, cpu := single(warm, texts)
		wRates = append(wRates, rate)
		oursCPU = append(oursCPU, cpu)
		rate, _ = single(tok.NewCounter(), texts)
		cRates = append(cRates, rate)
		rate, _ = single(tok.NewCounterNoCache(), texts)
		ncRates = append(ncRates, rate)
		g2Rates = append(g2Rates, parallel(workers, texts))
	}
	r.hf, r.warm, r.cold, r.nocache = median(hfRates), median(wRates), median(cRates), median(ncRates)
	r.g2 = median(g2Rates)
	r.hfCPU, r.oursCPU = median(hfCPU), median(oursCPU)
	return r, nil
}

// loadMeasured loads the tokenizer three times and returns the last one,
// the fastest load and the live heap it holds after a GC.
func loadMeasured(dir string) (*tokenize.Tokenizer, time.Duration, uint64, error) {
	var best time.Duration
	var tok *tokenize.Tokenizer
	var before, after runtime.MemStats
	for i := 0; i < 3; i++ {
		tok = nil
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		t, err := tokenize.LoadDir(dir)
		d := time.Since(start)
		if err != nil {
			return nil, 0, 0, err
		}
		if i == 0 || d < best {
			best = d
		}
		tok = t
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
	return tok, best, heap, nil
}

// pass counts every text once and returns the number of tokens.
func pass(c *tokenize.Counter, texts []string) int {
	n := 0
	for _, s := range texts {
		n += c.Count(s)
	}
	return n
}

// single times one pass on one OS thread with GOMAXPROCS=1 (so the GC
// cannot borrow a second core) and returns tokens/s and CPU/wall.
func single(c *tokenize.Counter, texts []string) (float64, float64) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	runtime.GC()
	cpu0 := cpuTime()
	start := time.Now()
	n := pass(c, texts)
	wall := time.Since(start)
	return float64(n) / wall.Seconds(), float64(cpuTime()-cpu0) / float64(wall)
}

// parallel times one goroutine per Counter, each counting all texts, with
// GOMAXPROCS = len(counters), and returns the aggregate tokens/s.
func parallel(counters []*tokenize.Counter, texts []string) float64 {
	prev := runtime.GOMAXPROCS(len(counters))
	defer runtime.GOMAXPROCS(prev)
	runtime.GC()
	var wg sync.WaitGroup
	totals := make([]int, len(counters))
	start := time.Now()
	for i := range counters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			totals[i] = pass(counters[i], texts)
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	n := 0
	for _, t := range totals {
		n += t
	}
	return float64(n) / wall.Seconds()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func printTable(rows []row, nTexts, rounds int) {
	fmt.Printf("Single-thread tokens/s, %d ~4k-token answers per pass, median of %d interleaved rounds (GOMAXPROCS=%d, %s)\n",
		nTexts, rounds, runtime.NumCPU(), runtime.Version())
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "model\ttok/pass\tHF\tours warm cache\t×HF\tcold cache\t×HF\tno cache\t×HF\t2 goroutines\tscaling\tload ours\tload HF\tlive heap\tcpu/wall HF\tours\t")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%.1f×\t%s\t%.1f×\t%s\t%.1f×\t%s\t%.2f×\t%v\t%v\t%.1f MB\t%.2f\t%.2f\t\n",
			r.model, r.tokens, rate(r.hf), rate(r.warm), r.warm/r.hf, rate(r.cold), r.cold/r.hf, rate(r.nocache), r.nocache/r.hf,
			rate(r.g2), r.g2/r.warm, r.loadOurs.Round(time.Millisecond), r.loadHF.Round(time.Millisecond),
			float64(r.heap)/(1<<20), r.hfCPU, r.oursCPU)
	}
	w.Flush()
	fmt.Println("Rates in tokens/s. ×HF: ours / HF, both single-thread. warm cache: a long-lived Counter (HF's word cache is warm too);")
	fmt.Println("cold cache: a new Counter per pass; scaling: 2 goroutines with own warm Counters (GOMAXPROCS=2) / 1 warm.")
	fmt.Println("cpu/wall ≈ 1.00 confirms one thread; well below 1 means the machine was busy (rerun on an idle machine).")
	fmt.Println("Built models: wordpiece, wordlevel, unigram are trained by the HF library on the corpus's prose; tiktoken_cl100k is")
	fmt.Println("npm tiktoken's cl100k_base rank file (ours loads the rank file; HF runs its TikTokenConverter-equivalent tokenizer.json).")
}

func rate(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.2fM", x/1e6)
	default:
		return fmt.Sprintf("%.0fk", x/1e3)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench-tokenize:", err)
	os.Exit(1)
}
