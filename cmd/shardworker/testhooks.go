//go:build testhooks

package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/shard"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// Test-only behaviour, for the process tests of pkg/shard and
// cmd/aggregator: compiled only into a binary built with -tags testhooks
// (the tests build theirs so; see internal/testbin), and enabled there only
// when SHARDWORKER_TEST_HOOKS=1 is in the environment. Without it, texts
// carrying the marker are counted like any other text.
//
// With it:
//   - at start-up, before and after loading the tokenizer, the worker
//     prints a line with fmt.Println and writes one straight to fd 1 (a
//     dependency writing to stdout);
//   - a text item (not a chat item) starting with testMarker runs the
//     command that follows:
//     "fail" fails the item, "panic" panics in the counter, "stdout"
//     prints to stdout and then counts the text, "sleep=DURATION" sleeps
//     and then counts the text.
const (
	testHooksEnv = "SHARDWORKER_TEST_HOOKS"
	testMarker   = "\x00shardworker-test:"
)

// testHooks is nil unless the test hooks are enabled.
type testHooks struct{ log *slog.Logger }

func testHooksFromEnv(log *slog.Logger) *testHooks {
	if os.Getenv(testHooksEnv) != "1" {
		return nil
	}
	log.Warn("TEST HOOKS ENABLED (" + testHooksEnv + "=1): not for production")
	return &testHooks{log: log}
}

func (h *testHooks) atStart() {
	if h == nil {
		return
	}
	fmt.Println("stray line on stdout from fmt.Println")
	_, _ = syscall.Write(1, []byte("stray line written to fd 1\n"))
}

func (h *testHooks) wrap(c shard.ItemCounter) shard.ItemCounter {
	if h == nil {
		return c
	}
	return hookCounter{c}
}

type hookCounter struct{ shard.ItemCounter }

func (c hookCounter) CountItem(k tokwork.Kind, text string) tokwork.Result {
	cmd, ok := strings.CutPrefix(text, testMarker)
	if !ok || k != tokwork.Text {
		return c.ItemCounter.CountItem(k, text)
	}
	switch {
	case cmd == "fail":
		return tokwork.Result{Count: -1, Err: "test hook: item failed on purpose"}
	case cmd == "panic":
		panic("test hook: panic on purpose")
	case cmd == "stdout":
		fmt.Println("stray line on stdout while counting")
		_, _ = syscall.Write(1, []byte("stray fd 1 write while counting\n"))
	case strings.HasPrefix(cmd, "sleep="):
		d, err := time.ParseDuration(strings.TrimPrefix(cmd, "sleep="))
		if err != nil {
			return tokwork.Result{Count: -1, Err: err.Error()}
		}
		time.Sleep(d)
	}
	return c.ItemCounter.CountItem(k, text)
}
