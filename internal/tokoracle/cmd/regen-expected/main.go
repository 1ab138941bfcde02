// Command regen-expected records the oracle's token counts for the parity
// corpus (internal/tokcorpus, DefaultSeed) of every installed model into
// testdata/tokenize/expected/<model>.json. Run it through
// scripts/tokenizer-oracle/regen-expected.sh after changing the corpus, the
// oracle version or a tokenizer file.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/mlperf-tools/aggregator/internal/tokcorpus"
	"github.com/mlperf-tools/aggregator/internal/tokoracle"
)

func main() {
	only := flag.String("model", "", "regenerate only this model")
	flag.Parse()
	if err := tokoracle.Available(); err != nil {
		fail(err)
	}
	version, err := tokoracle.OracleVersion()
	if err != nil {
		fail(err)
	}
	corpus := tokcorpus.Generate(tokcorpus.DefaultSeed)
	texts := make([]string, len(corpus))
	for i, t := range corpus {
		texts[i] = t.Text
	}
	for _, m := range tokoracle.Models() {
		if *only != "" && m.Name != *only {
			continue
		}
		start := time.Now()
		counts, err := tokoracle.Counts(m.JSON(), texts)
		if err != nil {
			fail(err)
		}
		sum, err := tokoracle.FileSHA256(m.JSON())
		if err != nil {
			fail(err)
		}
		e := &tokoracle.Expected{Model: m.Name, TokenizerSHA256: sum, Oracle: version, CorpusSeed: tokcorpus.DefaultSeed, Counts: map[string]int{}}
		for i, t := range corpus {
			e.Counts[t.Key()] = counts[i]
		}
		path, err := tokoracle.ExpectedPath(m.Name)
		if err != nil {
			fail(err)
		}
		if err := e.Write(path); err != nil {
			fail(err)
		}
		fmt.Printf("%-12s %d texts, %d distinct, oracle %.1fs -> %s\n", m.Name, len(texts), len(e.Counts), time.Since(start).Seconds(), path)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "regen-expected:", err)
	os.Exit(1)
}
