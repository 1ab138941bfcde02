package chattmpl

import (
	"context"
	"sync"

	"github.com/mlperf-tools/aggregator/pkg/tokenize"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// InProcessStart returns a StartFunc whose workers count in this process,
// on procs goroutines each with its own Counter (tests, and replay without
// a shardworker binary). CPU blocks are ignored. Chat templates render
// here without the time and memory limits a shardworker enforces: never
// use it where templates are untrusted (the daemon never does).
func InProcessStart(tok *tokenize.Tokenizer) tokwork.StartFunc {
	return func(_ context.Context, _ []int, procs int) (tokwork.Worker, error) {
		w := &inProcess{}
		for range max(1, procs) {
			c, _ := NewCounter(tok) // a config error makes chat items fall back
			w.counters = append(w.counters, c)
		}
		return w, nil
	}
}

type inProcess struct{ counters []*Counter }

func (w *inProcess) Count(ctx context.Context, payloads []string, kinds []tokwork.Kind) ([]tokwork.Result, error) {
	res := make([]tokwork.Result, len(payloads))
	n := len(w.counters)
	var wg sync.WaitGroup
	for g := range n {
		wg.Go(func() {
			c := w.counters[g]
			for i := g; i < len(payloads); i += n {
				if ctx.Err() != nil {
					return
				}
				k := tokwork.Text
				if kinds != nil {
					k = kinds[i]
				}
				res[i] = c.CountItem(k, payloads[i])
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

func (w *inProcess) Close() error { return nil }
func (w *inProcess) Kill()        {}
func (w *inProcess) Pid() int     { return 0 }
