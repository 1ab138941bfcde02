// Command tokcorpus writes the tokenizer parity corpus as JSON lines
// ({"name", "category", "text"}) to stdout, or a per-category summary.
//
//	go run ./internal/tokcorpus/cmd/tokcorpus [-seed N] [-small|-large-only] [-answers N] [-stats]
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/mlperf-tools/aggregator/internal/tokcorpus"
)

func main() {
	seed := flag.Uint64("seed", tokcorpus.DefaultSeed, "corpus seed")
	small := flag.Bool("small", false, "omit the ~1 MB texts")
	largeOnly := flag.Bool("large-only", false, "only the ~1 MB texts")
	answers := flag.Int("answers", 0, "write N ~4k-token answers (Answers4k) instead of the corpus")
	stats := flag.Bool("stats", false, "print texts and bytes per category instead of the texts")
	flag.Parse()

	var texts []tokcorpus.Text
	switch {
	case *answers > 0:
		for i, a := range tokcorpus.Answers4k(*answers) {
			texts = append(texts, tokcorpus.Text{Name: fmt.Sprintf("answers4k/%d", i), Category: "answers4k", Text: a})
		}
	case *small:
		texts = tokcorpus.Small(*seed)
	case *largeOnly:
		texts = tokcorpus.Large(*seed)
	default:
		texts = tokcorpus.Generate(*seed)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	if *stats {
		total, bytes := 0, 0
		for _, c := range tokcorpus.Categories(texts) {
			fmt.Fprintf(w, "%-16s %5d texts %9d bytes\n", c.Category, c.Texts, c.Bytes)
			total += c.Texts
			bytes += c.Bytes
		}
		fmt.Fprintf(w, "%-16s %5d texts %9d bytes\n", "total", total, bytes)
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, t := range texts {
		if err := enc.Encode(map[string]string{"name": t.Name, "category": t.Category, "text": t.Text}); err != nil {
			fmt.Fprintln(os.Stderr, "tokcorpus:", err)
			os.Exit(1)
		}
	}
}
