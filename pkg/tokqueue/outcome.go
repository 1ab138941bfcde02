package tokqueue

import "github.com/mlperf-tools/aggregator/pkg/tokwork"

// Outcome is a worker's answer for Batch.Texts[From:From+len(Results)],
// handed to the owner on a channel. Err non-nil means the whole range
// failed (nothing in Results).
type Outcome struct {
	Batch   *Batch
	From    int
	Results []tokwork.Result
	Err     error
	// Died is true when Err is the worker dying on the batch (not a
	// cancellation).
	Died bool
	// Worker is the drain worker (its index in the drain's Plan) that
	// counted the range; -1 for the live lane.
	Worker int
	// Plan, when set, carries no results: the drain's workers came up and
	// split the batch between them (sent once, before any drain result).
	Plan []Chunk
	// Restarted, in a drain outcome without results, says Worker was
	// restarted as this pid after dying.
	Restarted int
}

// Handle applies an outcome on the owner: results are recorded; a failed
// live batch is re-queued (no loss; see requeue for structured items that
// kill the worker); a failed drain range stays pending.
func (q *Queue) Handle(o Outcome) {
	if o.Plan != nil || o.Restarted != 0 {
		return // drain progress only (DrainProgress)
	}
	if o.Err != nil {
		if o.Batch.Live {
			q.requeue(o.Batch, o.Died)
		}
		return
	}
	if err := q.Apply(o.Batch, o.From, o.Results); err != nil {
		q.log.Error("dropping malformed tokenizer outcome", "err", err)
		if o.Batch.Live {
			q.Requeue(o.Batch)
		}
	}
}
