// Command aggregator is a drop-in replacement for the metrics-aggregator
// subprocess of the MLCommons endpoints benchmark. The root command is the
// daemon; subcommands (demo, replay) reuse its fold and snapshot code.
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
