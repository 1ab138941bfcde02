package tokqueue

import (
	"context"
	"sync"

	"github.com/mlperf-tools/aggregator/pkg/tokenize"
)

// InProcStart returns a StartFunc whose workers count in this process on
// procs goroutines (replay, tests). CPU blocks are ignored.
func InProcStart(tok *tokenize.Tokenizer) StartFunc {
	return func(_ context.Context, _ []int, procs int) (Worker, error) {
		w := &inProc{}
		for range max(1, procs) {
			w.counters = append(w.counters, tok.NewCounter())
		}
		return w, nil
	}
}

type inProc struct{ counters []*tokenize.Counter }

func (w *inProc) Count(ctx context.Context, texts []string) ([]Result, error) {
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
				k, err := c.CountErr(texts[i])
				if err != nil {
					res[i].Err = err.Error()
				} else {
					res[i].Count = k
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

func (w *inProc) Close() error { return nil }
func (w *inProc) Kill()        {}
func (w *inProc) Pid() int     { return 0 }
