package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlperf-tools/aggregator/pkg/report"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

type reportFlags struct {
	html string
	json bool
}

// newReportCmd is the `report` subcommand: the human summary of a final
// snapshot as text, JSON, and a self-contained HTML page.
func newReportCmd(lf *logFlags) *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report FINAL_SNAPSHOT.json [--html OUT.html] [--json]",
		Short: "Summarize a final_snapshot.json: samples, duration, QPS/TPS, series, warnings; optional HTML page",
		Long: `report reads a final snapshot (final_snapshot.json, state complete or
interrupted) and prints its summary to stdout: state, warnings (incomplete
token drain, interrupted run), sample counts, duration, QPS and TPS, finish
reasons, and for each series count, min, avg, median, p90, p99 and max in ms
(*_ns series) or tokens (isl, osl).

--html OUT.html also writes a self-contained page (inline CSS, inline SVG,
nothing fetched when viewed) with the same tables and one histogram per
series, drawn from the snapshot's buckets with p50/p90/p99 markers.
--json prints the summary numbers as JSON instead of text.

Definitions (upstream's, mlcommons/endpoints metrics/report.py):
  - ` + strings.Join(report.Definitions, "\n  - "),
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("report: want one FINAL_SNAPSHOT.json argument, got %d", len(args))
			}
			return nil
		},
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := lf.logger(cmd.ErrOrStderr()); err != nil {
				return err
			}
			return runReport(args[0], &f, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&f.html, "html", "", "also write a self-contained HTML report to this file")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the summary numbers as JSON instead of text")
	return cmd
}

func runReport(path string, f *reportFlags, stdout io.Writer) error {
	snap, err := readFinalSnapshot(path)
	if err != nil {
		return err
	}
	sum := report.Build(snap)
	if f.html != "" {
		var buf bytes.Buffer
		if err := report.WriteHTML(&buf, sum, path); err != nil {
			return err
		}
		if err := os.WriteFile(f.html, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("report: --html: %w", err)
		}
	}
	if f.json {
		return report.WriteJSON(stdout, sum)
	}
	return report.WriteText(stdout, sum)
}

// readFinalSnapshot reads and checks a final snapshot: a JSON object with
// state and metrics, in state complete or interrupted.
func readFinalSnapshot(path string) (*snapshot.Snapshot, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return nil, fmt.Errorf("report: %s: not a snapshot: not a JSON object (%v)", path, err)
	}
	for _, k := range []string{"state", "metrics"} {
		if _, ok := keys[k]; !ok {
			return nil, fmt.Errorf("report: %s: not a snapshot: no %q key", path, k)
		}
	}
	snap, err := snapshot.ReadJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("report: %s: not a snapshot: %v", path, errors.Unwrap(err))
	}
	if snap.State != snapshot.Complete && snap.State != snapshot.Interrupted {
		return nil, fmt.Errorf("report: %s: state %q is not final (want complete or interrupted)", path, snap.State)
	}
	return snap, nil
}
