package shard

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
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

// lineTail keeps the last few stderr lines for error messages.
type lineTail struct {
	mu    sync.Mutex
	lines []string
	max   int
}

func newLineTail(n int) *lineTail { return &lineTail{max: n} }

func (t *lineTail) add(s string) {
	if len(s) > 512 {
		s = s[:512] + "…"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == t.max {
		copy(t.lines, t.lines[1:])
		t.lines = t.lines[:t.max-1]
	}
	t.lines = append(t.lines, s)
}

// String joins the kept lines with " | ".
func (t *lineTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, " | ")
}
