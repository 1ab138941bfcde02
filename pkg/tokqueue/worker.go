package tokqueue

import (
	"context"

	"github.com/mlperf-tools/aggregator/pkg/chattmpl"
)

// Result is one item's outcome from a worker: a token count, or a
// per-item error message (Err non-empty).
type Result struct {
	Count int
	Err   string
	// Rendered: a structured item was counted through the chat template.
	Rendered bool
	// Fallback: why the template could not be applied, when upstream's
	// fallback text was counted instead.
	Fallback string
}

// Worker counts tokens for batches of texts. Count is called by one
// goroutine at a time; Kill may be called concurrently with Count and
// must make it return promptly.
type Worker interface {
	// Count returns one Result per payload, in order; kinds are the
	// payloads' kinds (nil: all texts). An error means the whole batch
	// failed (worker died, ctx cancelled, protocol error); the worker
	// should then be killed and not reused.
	Count(ctx context.Context, texts []string, kinds []chattmpl.Kind) ([]Result, error)
	// Close asks the worker to exit and reaps it; Kill kills and reaps it.
	Close() error
	Kill()
	// Pid is the worker's process id (0 for in-process workers).
	Pid() int
}

// StartFunc starts a worker restricted to cpus (nil: no pinning) with
// procs threads of parallelism, and returns once it is ready to count
// (its tokenizer loaded). ctx bounds the start-up.
type StartFunc func(ctx context.Context, cpus []int, procs int) (Worker, error)
