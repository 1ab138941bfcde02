// Package progress draws progress on a terminal: a status line kept under
// the log output (Line), the end-of-run drain's bar (Drain), and a plain
// byte-count bar (Bar, replay's input). On a terminal the status line is
// redrawn in place; elsewhere the daemon logs a line per second instead.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/tokqueue"
)

// Line is an io.Writer for log output with a status line kept below it on
// a terminal: a write clears the status line, writes, then redraws it, so
// log lines and the line never garble each other. Safe for concurrent use.
type Line struct {
	mu   sync.Mutex
	w    io.Writer
	line string
}

// NewLine writes to w (a terminal).
func NewLine(w io.Writer) *Line { return &Line{w: w} }

const clearLine = "\r\x1b[K"

// Write writes p (whole log lines) above the status line.
func (l *Line) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.line != "" {
		_, _ = io.WriteString(l.w, clearLine)
	}
	n, err := l.w.Write(p)
	if l.line != "" {
		_, _ = io.WriteString(l.w, l.line)
	}
	return n, err
}

// Set replaces the status line, in place.
func (l *Line) Set(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.line = s
	_, _ = io.WriteString(l.w, clearLine+s)
}

// Done leaves the status line as it is on screen and moves below it.
func (l *Line) Done() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.line != "" {
		_, _ = io.WriteString(l.w, "\n")
		l.line = ""
	}
}

// barWidth is the width of the bars, in cells.
const barWidth = 24

// bar draws frac of width cells with eighth-cell precision.
func bar(frac float64, width int) string {
	frac = min(max(frac, 0), 1)
	eighths := int(frac * float64(width*8))
	full, part := eighths/8, eighths%8
	var b strings.Builder
	b.WriteString(strings.Repeat("█", full))
	if full < width {
		if part > 0 {
			b.WriteRune([]rune(" ▏▎▍▌▋▊▉")[part])
		} else {
			b.WriteString("░")
		}
		b.WriteString(strings.Repeat("░", width-full-1))
	}
	return b.String()
}

// level is a one-cell gauge of frac (one per drain worker).
func level(frac float64) string {
	levels := []rune("▁▂▃▄▅▆▇█")
	i := int(min(max(frac, 0), 1) * float64(len(levels)-1))
	return string(levels[i])
}

// Drain renders the drain's progress on one line: the bar (by bytes, the
// measure of work), items and tokens done, one gauge per worker, the
// rates and the time left.
//
//	drain ██████████████▋░░░░░░░░░  61%  1448/2371 items  3.1M tok  workers ▆▅  18.2k items/s  5.8M tok/s  ETA 2s
func Drain(p *tokqueue.DrainProgress, now time.Time) string {
	f := p.Fraction()
	el := now.Sub(p.Start).Seconds()
	var b strings.Builder
	fmt.Fprintf(&b, "drain %s %3.0f%%  %d/%d items  %s tok", bar(f, barWidth), f*100, p.ItemsDone, p.Items, si(float64(p.Tokens)))
	if len(p.Workers) > 0 {
		b.WriteString("  workers ")
		for _, w := range p.Workers {
			wf := 1.0
			if w.Bytes > 0 {
				wf = float64(w.BytesDone) / float64(w.Bytes)
			}
			b.WriteString(level(wf))
		}
	} else {
		b.WriteString("  starting workers")
	}
	if el > 0 && p.ItemsDone > 0 {
		fmt.Fprintf(&b, "  %s items/s  %s tok/s", si(float64(p.ItemsDone)/el), si(float64(p.Tokens)/el))
	}
	switch {
	case f >= 1:
		fmt.Fprintf(&b, "  done in %s", dur(now.Sub(p.Start)))
	case p.ItemsDone > 0:
		fmt.Fprintf(&b, "  ETA %s", dur(p.ETA(now)))
	}
	if p.Failed > 0 {
		fmt.Fprintf(&b, "  %d failed", p.Failed)
	}
	return b.String()
}

// si formats v with a k/M/G suffix.
func si(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.1fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// dur formats a duration for humans: "850ms", "3.2s", "4m05s".
func dur(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// Bar is a one-line byte-count bar on a terminal (replay's input): it is
// silent when disabled, so callers need no conditionals.
type Bar struct {
	w       io.Writer
	total   int64
	enabled bool
	// Start is when the bar was made.
	Start time.Time
	last  time.Time
}

// NewBar makes a bar of total bytes on w, drawn only when enabled.
func NewBar(w io.Writer, total int64, enabled bool) *Bar {
	return &Bar{w: w, total: total, enabled: enabled, Start: time.Now()}
}

// Update redraws the bar at n bytes, at most ten times a second.
func (p *Bar) Update(n int64) {
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

func (p *Bar) draw(n int64) {
	frac := 0.0
	if p.total > 0 {
		frac = min(1, float64(n)/float64(p.total))
	}
	rate := float64(n) / max(time.Since(p.Start).Seconds(), 1e-9) / (1 << 20)
	fmt.Fprintf(p.w, "%s%s %5.1f%%  %.1f MiB/s", clearLine, bar(frac, barWidth), frac*100, rate)
}

// Done draws the bar at n and ends its line.
func (p *Bar) Done(n int64) {
	if !p.enabled {
		return
	}
	p.draw(n)
	fmt.Fprintln(p.w)
}
