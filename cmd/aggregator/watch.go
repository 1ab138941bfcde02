package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newWatchCmd is the `watch` subcommand (issue 6; being written).
func newWatchCmd(lf *logFlags) *cobra.Command {
	_ = lf
	return &cobra.Command{
		Use:           "watch",
		Short:         "not implemented yet",
		Hidden:        true,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE:          func(*cobra.Command, []string) error { return errors.New("watch: not implemented yet") },
	}
}
