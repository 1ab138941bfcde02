package tokqueue

import (
	"context"
	"sync"

	"github.com/mlperf-tools/aggregator/pkg/chattmpl"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
)

// InProcStart returns a StartFunc whose workers count in this process on
// procs goroutines (tests, and replay without a shardworker binary). CPU
// blocks are ignored. Structured items are rendered here too, without
// the limits a shardworker enforces: never use it where chat templates
// are untrusted (the daemon never does).
func InProcStart(tok *tokenize.Tokenizer) StartFunc {
	return func(_ context.Context, _ []int, procs int) (Worker, error) {
		w := &inProc{}
		for range max(1, procs) {
			c, _ := chattmpl.NewCounter(tok) // a config error makes chat items fall back
			w.counters = append(w.counters, c)
		}
		return w, nil
	}
}

type inProc struct{ counters []*chattmpl.Counter }

func (w *inProc) Count(ctx context.Context, texts []string, kinds []chattmpl.Kind) ([]Result, error) {
	res := make([]Result, len(texts))
	n := len(w.counters)
	var wg sync.WaitGroup
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := w.counters[g]
			for i := g; i < len(texts); i += n {
				if ctx.Err() != nil {
					return
				}
				k := chattmpl.KindText
				if kinds != nil {
					k = kinds[i]
				}
				res[i] = countOne(c, k, texts[i])
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

// countOne counts one item into a Result.
func countOne(c *chattmpl.Counter, k chattmpl.Kind, payload string) Result {
	o, err := c.CountItem(k, payload)
	if err != nil {
		return Result{Count: -1, Err: err.Error()}
	}
	r := Result{Count: o.Count, Rendered: o.Rendered}
	if o.Fallback != nil {
		r.Fallback = o.Fallback.Error()
	}
	return r
}

func (w *inProc) Close() error { return nil }
func (w *inProc) Kill()        {}
func (w *inProc) Pid() int     { return 0 }
