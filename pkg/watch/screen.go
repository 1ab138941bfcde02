package watch

import "strings"

// ANSI sequences of the in-place view on a terminal.
const (
	// EnterScreen switches to the alternate screen, hides the cursor and
	// clears: the user's scrollback is left untouched while watching.
	EnterScreen = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J"
	// LeaveScreen shows the cursor and returns to the normal screen, as
	// it was before EnterScreen.
	LeaveScreen = "\x1b[?25h\x1b[?1049l"
)

// Frame is one redraw of lines in place: cursor home, each line followed by
// clear-to-end-of-line, then clear to the end of the screen. The last line
// gets no newline, so a view exactly as tall as the terminal never scrolls.
func Frame(lines []string) []byte {
	var b strings.Builder
	b.WriteString("\x1b[H")
	for i, l := range lines {
		if i > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString(l)
		b.WriteString("\x1b[K")
	}
	b.WriteString("\x1b[J")
	return []byte(b.String())
}
