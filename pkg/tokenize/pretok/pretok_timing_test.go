package pretok

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// benchAnswer is a realistic LLM answer: prose with contractions, Markdown,
// a code block, numbers, a table, a little CJK and emoji.
const benchAnswer = `Sure! Here's a step-by-step explanation of how the algorithm works, and why it's O(n log n) in the worst case.

## 1. Overview

The function ` + "`mergeSort`" + ` splits the input slice into two halves, sorts each half recursively, and then merges them. We'll assume the input has N = 1,048,576 elements (2^20); in practice you'd see roughly 20 levels of recursion.

> **Note:** If you're working with data that's already mostly sorted, an adaptive algorithm such as Timsort (used by Python's ` + "`list.sort()`" + `) is usually faster — it can run in O(n) time on presorted input.

` + "```go" + `
func mergeSort(xs []int) []int {
	if len(xs) <= 1 {
		return xs
	}
	mid := len(xs) / 2
	left := mergeSort(xs[:mid])
	right := mergeSort(xs[mid:])
	out := make([]int, 0, len(xs))
	for len(left) > 0 && len(right) > 0 {
		if left[0] <= right[0] {
			out, left = append(out, left[0]), left[1:]
		} else {
			out, right = append(out, right[0]), right[1:]
		}
	}
	return append(append(out, left...), right...)
}
` + "```" + `

### Complexity

| Case    | Time       | Space |
|---------|------------|-------|
| Best    | O(n log n) | O(n)  |
| Average | O(n log n) | O(n)  |
| Worst   | O(n log n) | O(n)  |

Each level of the recursion does Θ(n) work in total, and there are ⌈log₂ n⌉ levels, so the total is Θ(n log n). For n = 1000 that's about 10,000 comparisons; for n = 10⁶ it's roughly 2×10⁷.

I'd also mention a few practical tips:

1. Don't allocate a new slice at every level — allocate one buffer of size n up front and reuse it.
2. Switch to insertion sort for small sub-arrays (say, fewer than 32 elements); it's faster because of lower overhead.
3. If stability doesn't matter, ` + "`sort.Ints`" + ` (pdqsort since Go 1.19) is typically 2–3× faster.

在中文里，归并排序叫做“归并排序”。日本語では「マージソート」と呼ばれます。 Café, naïve, résumé — accents are fine too. 🚀 Let me know if you'd like a version that sorts in place, or one that's parallelised across CPU cores! 😊

Email me at support@example.com or visit https://example.com/docs/v2/sorting?lang=en#merge-sort.
`

// benchText is benchAnswer repeated to about 64 KB.
var benchText = strings.Repeat(benchAnswer, 64*1024/len(benchAnswer)+1)

func benchmarkMatcher(b *testing.B, m Matcher) {
	dst := make([]int, 0, 64*1024)
	b.SetBytes(int64(len(benchText)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var err error
		if dst, err = m.AppendMatches(dst[:0], benchText); err != nil {
			b.Fatal(err)
		}
	}
}

// benchPatterns names the patterns the timing benchmarks and report cover.
var benchPatterns = []struct{ name, pattern string }{
	{"llama3", Llama3Pattern},
	{"qwen2", Qwen2Pattern},
	{"qwen35", Qwen35Pattern},
	{"o200k", O200kPattern},
	{"tekken", TekkenPattern},
	{"gpt2", GPT2Pattern},
	{"deepseek-digits", DeepSeekDigitsPattern},
	{"deepseek-cjk", DeepSeekCJKPattern},
	{"deepseek-main", DeepSeekPattern},
}

// BenchmarkPretok times each scanner and the regexp2 fallback on the same
// pattern and text:
//
//	go test -run '^$' -bench Pretok ./pkg/tokenize/pretok/
func BenchmarkPretok(b *testing.B) {
	for _, bp := range benchPatterns {
		scan, ref := mustMatchers(b, bp.pattern)
		b.Run(bp.name+"/scanner", func(b *testing.B) { benchmarkMatcher(b, scan) })
		b.Run(bp.name+"/regexp2", func(b *testing.B) { benchmarkMatcher(b, ref) })
	}
}

// TestTimingRatios prints scanner and regexp2 throughput and their ratio
// for every pattern when PRETOK_TIMING is set:
//
//	PRETOK_TIMING=1 go test -run TimingRatios -v ./pkg/tokenize/pretok/
func TestTimingRatios(t *testing.T) {
	if os.Getenv("PRETOK_TIMING") == "" {
		t.Skip("set PRETOK_TIMING=1 to measure")
	}
	mbps := func(r testing.BenchmarkResult) float64 {
		return float64(r.Bytes) * float64(r.N) / r.T.Seconds() / 1e6
	}
	t.Logf("text: %d bytes of LLM-style answer", len(benchText))
	t.Logf("%-16s %12s %12s %8s %14s", "pattern", "scanner MB/s", "regexp2 MB/s", "ratio", "scanner allocs")
	for _, bp := range benchPatterns {
		scan, ref := mustMatchers(t, bp.pattern)
		rs := testing.Benchmark(func(b *testing.B) { benchmarkMatcher(b, scan) })
		rr := testing.Benchmark(func(b *testing.B) { benchmarkMatcher(b, ref) })
		t.Logf("%-16s %12.1f %12.1f %7.1fx %14s", bp.name, mbps(rs), mbps(rr), mbps(rs)/mbps(rr),
			fmt.Sprint(rs.AllocsPerOp()))
	}
}
