package tokcorpus

import (
	"fmt"
	"strings"
)

// Vocabulary for LLM-style answers: sentences are built from templates so
// that the word mix resembles real model output (Zipf-like reuse of common
// words, a long tail of rarer ones, numbers, identifiers, code, tables).
var (
	ansSubjects = []string{"The model", "This approach", "Your configuration", "The scheduler", "A tokenizer", "The benchmark harness", "Each worker", "The cache", "Our implementation", "The attention layer", "Quantization", "The load generator", "Speculative decoding", "The KV cache", "Batching", "The inference server", "A histogram", "The p99 latency", "Throughput", "The prefill phase"}
	ansVerbs    = []string{"reduces", "increases", "depends on", "is bounded by", "dominates", "amortizes", "interacts with", "hides", "exposes", "replaces", "requires", "avoids", "improves", "degrades", "measures", "estimates", "allocates", "serializes", "parallelizes", "caches"}
	ansObjects  = []string{"the memory bandwidth", "time to first token", "inter-token latency", "the number of concurrent requests", "GPU utilization", "the tail latency", "the context window", "tensor parallelism", "pipeline bubbles", "the sampling temperature", "the prompt length", "the output sequence length", "network round trips", "lock contention", "garbage-collection pauses", "the vocabulary size", "page faults", "cold starts", "the warm-up period", "rounding errors"}
	ansAdverbs  = []string{"in practice", "under heavy load", "for long prompts", "when the batch is full", "on most hardware", "by roughly %d%%", "after %d iterations", "at %d requests per second", "with %d GB of HBM", "in the worst case", "unless you pin the threads", "as the figures show", "which is expected", "although results vary", "(see Table %d)", "according to the logs"}
	ansOpeners  = []string{"Great question!", "Sure — here's a detailed explanation.", "Let's break this down step by step.", "Short answer: it depends.", "There are several factors to consider.", "I'd approach this in three stages.", "Here is what's happening under the hood."}
	ansLinks    = []string{"However,", "Moreover,", "In addition,", "Consequently,", "For example,", "Note that", "In other words,", "That said,", "Importantly,", "Finally,", "First,", "Second,", "As a result,"}
	ansHeadings = []string{"Overview", "Background", "Root cause", "Step-by-step fix", "Performance considerations", "Benchmark results", "Caveats", "Recommended settings", "Example", "Summary", "Further reading", "Why this matters"}
)

// Answers4k returns n deterministic LLM-style answers of about 4,000 tokens
// each (about 16 KB of mostly English text with markdown, lists, tables and
// code), for benchmarks.
func Answers4k(n int) []string {
	r := newRNG(DefaultSeed).fork("answers4k")
	out := make([]string, n)
	for i := range out {
		out[i] = answer(r, 16500)
	}
	return out
}

// genAnswers adds a few ~4k-token answers and shorter ones to the corpus.
func genAnswers(s *sink, r *rng) {
	for i := 0; i < 4; i++ {
		s.add("4k", answer(r, 16000))
	}
	for i := 0; i < 20; i++ {
		s.add("short", answer(r, r.between(200, 3000)))
	}
}

// answer assembles an answer of at least size bytes.
func answer(r *rng, size int) string {
	var b strings.Builder
	b.WriteString(pick(r, ansOpeners))
	b.WriteString(" ")
	writeParagraph(&b, r)
	for b.Len() < size {
		switch r.intn(10) {
		case 0, 1:
			fmt.Fprintf(&b, "\n\n## %d. %s\n\n", r.between(1, 9), pick(r, ansHeadings))
			writeParagraph(&b, r)
		case 2:
			b.WriteString("\n\n")
			for i := 1; i <= r.between(2, 6); i++ {
				fmt.Fprintf(&b, "%d. **%s**: ", i, pick(r, ansHeadings))
				writeSentence(&b, r)
				b.WriteString("\n")
			}
		case 3:
			b.WriteString("\n\n")
			for i := r.between(2, 6); i > 0; i-- {
				b.WriteString(pick(r, []string{"- ", "* ", "  - "}))
				writeSentence(&b, r)
				b.WriteString("\n")
			}
		case 4:
			c := pick(r, codeSnippets)
			fmt.Fprintf(&b, "\n\n```%s\n%s```\n\n", c.lang, c.src)
		case 5:
			b.WriteString("\n\n| Setting | Value | Latency (ms) | Tokens/s |\n|---|---:|---:|---:|\n")
			for i := r.between(2, 6); i > 0; i-- {
				fmt.Fprintf(&b, "| `%s_%s` | %d | %d.%02d | %d |\n", pick(r, latinWords), pick(r, latinWords), r.intn(4096), r.intn(500), r.intn(100), r.intn(100000))
			}
		default:
			b.WriteString("\n\n")
			writeParagraph(&b, r)
		}
	}
	b.WriteString("\n\nI hope this helps! Let me know if you'd like me to go deeper into any of these points.")
	return b.String()
}

func writeParagraph(b *strings.Builder, r *rng) {
	for i := r.between(3, 7); i > 0; i-- {
		if r.chance(40) {
			b.WriteString(pick(r, ansLinks))
			b.WriteString(" ")
		}
		writeSentence(b, r)
		b.WriteString(" ")
	}
}

func writeSentence(b *strings.Builder, r *rng) {
	if r.chance(60) {
		writeFreeSentence(b, r)
		return
	}
	subj := pick(r, ansSubjects)
	b.WriteString(subj)
	b.WriteString(" ")
	b.WriteString(pick(r, ansVerbs))
	b.WriteString(" ")
	b.WriteString(pick(r, ansObjects))
	adv := pick(r, ansAdverbs)
	if strings.Contains(adv, "%d") {
		adv = fmt.Sprintf(adv, r.between(2, 2048))
	}
	b.WriteString(" ")
	b.WriteString(adv)
	if r.chance(25) {
		fmt.Fprintf(b, ", so `%s` should be set to %d", strings.ToLower(strings.ReplaceAll(pick(r, ansObjects), " ", "_")), r.between(1, 65536))
	}
	b.WriteString(pick(r, []string{".", ".", ".", "!", ";", " — really.", " (in my experience)."}))
}
