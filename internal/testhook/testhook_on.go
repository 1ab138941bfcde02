//go:build testhooks

package testhook

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Enabled reports whether this binary was built with the test hooks.
const Enabled = true

// Environment of a test-hook build:
//
//	AGGREGATOR_TEST_PAUSE=point[,point...]  where to pause
//	AGGREGATOR_TEST_PAUSE_FOR=duration      how long (default 1s)
//
// At a listed point Pause writes "testhook: paused at POINT" to stderr,
// then sleeps; the test delivers its signal while the daemon sleeps
// there.
const (
	pauseEnv    = "AGGREGATOR_TEST_PAUSE"
	pauseForEnv = "AGGREGATOR_TEST_PAUSE_FOR"
)

var (
	points   = parsePoints(os.Getenv(pauseEnv))
	pauseFor = parsePauseFor(os.Getenv(pauseForEnv))
)

func parsePoints(s string) map[string]bool {
	m := map[string]bool{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			m[p] = true
		}
	}
	return m
}

func parsePauseFor(s string) time.Duration {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d
	}
	return time.Second
}

// Pause sleeps at point when the environment lists it.
func Pause(point string) {
	if !points[point] {
		return
	}
	fmt.Fprintf(os.Stderr, "testhook: paused at %s for %v\n", point, pauseFor)
	time.Sleep(pauseFor)
	fmt.Fprintf(os.Stderr, "testhook: resumed at %s\n", point)
}
