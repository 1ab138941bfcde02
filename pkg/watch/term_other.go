//go:build !linux

package watch

import "os"

// IsTerminal reports whether f is a character device (outside Linux there
// is no termios check here; /dev/null passes, use --plain there).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Size is unknown outside Linux: 0, 0 (the caller falls back to $COLUMNS
// and $LINES, then defaults).
func Size(*os.File) (cols, rows int) { return 0, 0 }

// NotifyResize is a no-op outside Linux.
func NotifyResize(chan<- os.Signal) {}
