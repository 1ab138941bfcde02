package shard

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
)

// maxLogLine bounds one forwarded stderr line; the rest of a longer line
// is dropped (and the record marked truncated).
const maxLogLine = 16 << 10

// forwardStderr logs the worker's stderr line by line until it closes.
// It always reads to the end, so the worker can never block on stderr.
func (w *Worker) forwardStderr(r *os.File) {
	defer close(w.stderrDone)
	defer r.Close()
	br := bufio.NewReaderSize(r, maxLogLine)
	ctx := context.Background()
	for {
		line, err := br.ReadSlice('\n')
		truncated := false
		if errors.Is(err, bufio.ErrBufferFull) {
			truncated = true
			line = bytes.Clone(line)
			for errors.Is(err, bufio.ErrBufferFull) { // drop the rest of the line
				_, err = br.ReadSlice('\n')
			}
		}
		if s := strings.TrimRight(string(line), "\r\n"); s != "" {
			w.tail.add(s)
			attrs := []slog.Attr{slog.Int("pid", w.pid), slog.String("line", s)}
			if truncated {
				attrs = append(attrs, slog.Bool("truncated", true))
			}
			w.log.LogAttrs(ctx, lineLevel(s), "shardworker", attrs...)
		}
		if err != nil {
			return
		}
	}
}

// lineLevel maps a worker's slog text line to its level (Info otherwise,
// e.g. for a Go runtime panic, which is also caught by the exit status).
func lineLevel(s string) slog.Level {
	switch {
	case strings.Contains(s, "level=ERROR"), strings.HasPrefix(s, "panic:"), strings.HasPrefix(s, "fatal error:"):
		return slog.LevelError
	case strings.Contains(s, "level=WARN"):
		return slog.LevelWarn
	case strings.Contains(s, "level=DEBUG"):
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// lineTail keeps the last few stderr lines for error messages, and the
// last few lines that say why a worker died (ERROR records, Go's "fatal
// error:", "panic:" and stack-overflow lines), which a goroutine dump would
// otherwise push out of the tail.
type lineTail struct {
	mu      sync.Mutex
	lines   []string // the last max lines
	reasons []string // the last max notable lines
	max     int
}

func newLineTail(n int) *lineTail { return &lineTail{max: n} }

func (t *lineTail) add(s string) {
	if len(s) > 512 {
		s = s[:512] + "…"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = pushBounded(t.lines, s, t.max)
	if isReason(s) {
		t.reasons = pushBounded(t.reasons, s, t.max)
	}
}

func pushBounded(lines []string, s string, n int) []string {
	if len(lines) == n {
		copy(lines, lines[1:])
		lines = lines[:n-1]
	}
	return append(lines, s)
}

// isReason reports a line that says why a worker died.
func isReason(s string) bool {
	return strings.Contains(s, "level=ERROR") || strings.HasPrefix(s, "fatal error:") ||
		strings.HasPrefix(s, "panic:") || strings.HasPrefix(s, "runtime: goroutine stack exceeds")
}

// String joins the kept lines with " | ": the notable lines that are no
// longer in the tail, then the tail.
func (t *lineTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, r := range t.reasons {
		if !slices.Contains(t.lines, r) {
			out = append(out, r)
		}
	}
	if len(out) > 0 && len(t.lines) > 0 {
		out = append(out, "…")
	}
	return strings.Join(append(out, t.lines...), " | ")
}

// renderDeath reports whether the kept lines show a death caused by a
// chat-template render: the watchdog's reason or a stack overflow.
func (t *lineTail) renderDeath() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range t.reasons {
		if strings.Contains(r, "render timeout:") || strings.Contains(r, "render memory limit:") ||
			strings.Contains(r, "stack overflow") || strings.HasPrefix(r, "runtime: goroutine stack exceeds") {
			return true
		}
	}
	return false
}
