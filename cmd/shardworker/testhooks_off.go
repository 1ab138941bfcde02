//go:build !testhooks

package main

import (
	"log/slog"

	"github.com/mlperf-tools/aggregator/pkg/shard"
)

// testHooks is the production build's stand-in for the test hooks of
// testhooks.go (built only with -tags testhooks): it does nothing.
type testHooks struct{}

func testHooksFromEnv(*slog.Logger) *testHooks                { return nil }
func (*testHooks) atStart()                                   {}
func (*testHooks) wrap(c shard.ItemCounter) shard.ItemCounter { return c }
