// Command snapdiff compares two final_snapshot.json files field by field
// (ints exact, floats to --rel, counter/timestamp_ns ignored) and prints
// one line per difference; exit 1 when they differ. For differential runs
// against upstream's aggregator (shared/oracle) on new streams.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/mlperf-tools/aggregator/internal/snapcmp"
)

func main() {
	rel := flag.Float64("rel", 1e-9, "relative tolerance for floats")
	ignore := flag.String("ignore", "", "comma-separated dotted paths to skip (\"*\" matches one element)")
	flag.Usage = func() { fmt.Fprintln(os.Stderr, "usage: snapdiff [--rel R] [--ignore P,...] WANT.json GOT.json") }
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	want, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "FATAL:", err)
		os.Exit(2)
	}
	got, err := os.ReadFile(flag.Arg(1))
	if err != nil {
		fmt.Fprintln(os.Stderr, "FATAL:", err)
		os.Exit(2)
	}
	var ign []string
	if *ignore != "" {
		ign = strings.Split(*ignore, ",")
	}
	diffs, err := snapcmp.Diff(want, got, snapcmp.Options{RelTol: *rel, Ignore: ign})
	if err != nil {
		fmt.Fprintln(os.Stderr, "FATAL:", err)
		os.Exit(2)
	}
	for _, d := range diffs {
		fmt.Println(d)
	}
	if len(diffs) > 0 {
		os.Exit(1)
	}
}
