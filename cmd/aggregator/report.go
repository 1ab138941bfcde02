package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newReportCmd is the `report` subcommand (issue 6; being written).
func newReportCmd(lf *logFlags) *cobra.Command {
	_ = lf
	return &cobra.Command{
		Use:           "report",
		Short:         "not implemented yet",
		Hidden:        true,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE:          func(*cobra.Command, []string) error { return errors.New("report: not implemented yet") },
	}
}
