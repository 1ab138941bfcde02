// Command aggregator is a drop-in replacement for the metrics-aggregator
// subprocess of the MLCommons endpoints benchmark. The root command is the
// daemon; subcommands reuse its code: replay and demo its fold and
// snapshots, tokens the tokenizer.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintf(os.Stderr, "FATAL: %v\n", err)
		os.Exit(1)
	}
}
