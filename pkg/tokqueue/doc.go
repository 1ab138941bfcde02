// Package tokqueue is the daemon's token-work pipeline: the queue the
// aggregator's ISL/OSL/TPOT triggers enqueue into, the run-wide count cache,
// the live lane (one worker counting bounded batches mid-run) and the
// end-of-run drain (one worker per CPU block, the whole queue split into
// contiguous length-balanced chunks).
//
// Ownership: a Queue belongs to one goroutine, the owner (the daemon's
// select loop, or replay's main goroutine). Enqueue, batch selection,
// result application and recording all run there, so the aggregator's
// registry is only ever touched by its owner. Workers run on other
// goroutines (and in other processes); they see only the immutable text
// slices of a Batch and hand their results back as Outcome values on a
// channel the owner reads.
//
// Recording order is queue order: a job is recorded only once every job
// enqueued before it has been recorded or has definitively failed. The
// float series (tpot_ns) then sums in the order upstream records it at
// its drain, the order of the COMPLETE events, whatever mix of cache
// hits, live batches and drain chunks produced the counts.
package tokqueue
