package watch

import (
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether f is a terminal (isatty).
func IsTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Size returns the terminal's columns and rows, or 0, 0.
func Size(f *os.File) (cols, rows int) {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0
	}
	return int(ws.Col), int(ws.Row)
}

// NotifyResize relays terminal resizes (SIGWINCH) to c.
func NotifyResize(c chan<- os.Signal) { signal.Notify(c, unix.SIGWINCH) }
