package tokqueue

import (
	"log/slog"
	"time"
)

// Chunk is one drain worker's share of the drain batch: Batch.Texts[From:To].
type Chunk struct {
	PID      int    // the worker's process id (0 in process)
	CPUs     string // its CPU block ("0-7"; "inherited")
	From, To int
	Bytes    int // total length of its payloads
}

// DrainProgress is the drain's progress as the owner sees it, from the
// outcomes it applies (Observe): how many of the drain batch's distinct
// payloads each worker has counted, the bytes that took and the tokens
// they held. It belongs to the owner goroutine; readers (the progress
// bar, the Prometheus view) get copies.
type DrainProgress struct {
	Start time.Time
	// Items and Bytes are the drain batch's distinct payloads and their
	// total length.
	Items, Bytes int
	// ItemsDone, BytesDone and Tokens are the counted ones; Failed the
	// items that failed for good (they stay pending).
	ItemsDone, BytesDone, Failed int
	Tokens                       int64
	// Workers are the drain workers with their chunks, once they are up.
	Workers []WorkerProgress
}

// WorkerProgress is one drain worker's share and progress.
type WorkerProgress struct {
	Chunk
	ItemsDone, BytesDone int
	Tokens               int64
	Restarts             int
}

// NewDrainProgress starts the progress of a drain of b.
func NewDrainProgress(b *Batch, start time.Time) *DrainProgress {
	return &DrainProgress{Start: start, Items: len(b.Texts), Bytes: b.Bytes()}
}

// Observe accounts a drain outcome (live ones are ignored).
func (p *DrainProgress) Observe(o Outcome) {
	switch {
	case o.Plan != nil:
		p.Workers = make([]WorkerProgress, len(o.Plan))
		for i, c := range o.Plan {
			p.Workers[i].Chunk = c
		}
		return
	case o.Worker < 0 || o.Worker >= len(p.Workers):
		return
	}
	w := &p.Workers[o.Worker]
	if o.Restarted != 0 {
		w.PID = o.Restarted
		w.Restarts++
		return
	}
	for i, r := range o.Results {
		n := len(o.Batch.Texts[o.From+i])
		p.ItemsDone++
		p.BytesDone += n
		w.ItemsDone++
		w.BytesDone += n
		if r.Err != "" || r.Count < 0 {
			p.Failed++
			continue
		}
		p.Tokens += int64(r.Count)
		w.Tokens += int64(r.Count)
	}
}

// Fraction is the share of the batch's bytes done (0..1): the measure of
// work left, as a text's cost grows with its length.
func (p *DrainProgress) Fraction() float64 {
	if p.Bytes == 0 {
		if p.Items == 0 {
			return 1
		}
		return float64(p.ItemsDone) / float64(p.Items)
	}
	return float64(p.BytesDone) / float64(p.Bytes)
}

// ETA is the time left at the rate so far (0 when done or not started).
func (p *DrainProgress) ETA(now time.Time) time.Duration {
	f := p.Fraction()
	if f <= 0 || f >= 1 {
		return 0
	}
	el := now.Sub(p.Start)
	return time.Duration(float64(el) * (1 - f) / f)
}

// Copy returns a deep copy, for readers off the owner goroutine.
func (p *DrainProgress) Copy() *DrainProgress {
	c := *p
	c.Workers = append([]WorkerProgress(nil), p.Workers...)
	return &c
}

// LogValue is the progress as a log group: the totals, the time since the
// drain began, and the workers (a list in JSON logs), so a reader of the
// daemon's JSON log (the demo) can rebuild it.
func (p *DrainProgress) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("items", p.Items), slog.Int("items_done", p.ItemsDone),
		slog.Int("bytes", p.Bytes), slog.Int("bytes_done", p.BytesDone),
		slog.Int64("tokens", p.Tokens), slog.Int("failed", p.Failed),
		slog.Int64("elapsed_ms", time.Since(p.Start).Milliseconds()),
		slog.Any("workers", p.Workers))
}
