package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws a one-line progress bar on a terminal; it is silent when
// disabled, so callers need no conditionals.
type progress struct {
	w       io.Writer
	total   int64
	enabled bool
	start   time.Time
	last    time.Time
}

func newProgress(w io.Writer, total int64, enabled bool) *progress {
	now := time.Now()
	return &progress{w: w, total: total, enabled: enabled, start: now}
}

const progressWidth = 30

func (p *progress) update(n int64) {
	if !p.enabled {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	p.draw(n)
}

func (p *progress) draw(n int64) {
	frac := 0.0
	if p.total > 0 {
		frac = min(1, float64(n)/float64(p.total))
	}
	filled := int(frac * progressWidth)
	rate := float64(n) / max(time.Since(p.start).Seconds(), 1e-9) / (1 << 20)
	fmt.Fprintf(p.w, "\r[%s%s] %5.1f%%  %.1f MiB/s", strings.Repeat("#", filled), strings.Repeat(".", progressWidth-filled), frac*100, rate)
}

func (p *progress) done(n int64) {
	if !p.enabled {
		return
	}
	p.draw(n)
	fmt.Fprintln(p.w)
}
