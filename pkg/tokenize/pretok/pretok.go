// Package pretok finds pre-token matches the way Hugging Face tokenizers'
// Split pre-tokenizer does (Oniguruma find_iter semantics): hand-written
// scanners for the known model patterns, recognised by their exact pattern
// text, and dlclark/regexp2 (default mode, with a match timeout) for any
// other pattern.
package pretok

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// Matcher appends the [start, end) byte offsets of every non-overlapping
// match of its pattern in s, leftmost first, as consecutive pairs to dst.
// Implementations are safe for concurrent use.
type Matcher interface {
	AppendMatches(dst []int, s string) ([]int, error)
}

// DefaultTimeout bounds one regexp2 match call.
const DefaultTimeout = 10 * time.Second

// Compile returns the Matcher for a Split Regex pattern.
func Compile(pattern string) (Matcher, error) {
	re, err := regexp2.Compile(pattern, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("compile pre-tokenizer pattern %q: %w", pattern, err)
	}
	re.MatchTimeout = DefaultTimeout
	return &regexpMatcher{re: re}, nil
}

type regexpMatcher struct{ re *regexp2.Regexp }

func (m *regexpMatcher) AppendMatches(dst []int, s string) ([]int, error) {
	// regexp2 reports rune offsets; walk s once to turn them into bytes.
	runePos, bytePos := 0, 0
	toByte := func(r int) int {
		for runePos < r {
			_, size := utf8.DecodeRuneInString(s[bytePos:])
			bytePos += size
			runePos++
		}
		return bytePos
	}
	match, err := m.re.FindStringMatch(s)
	for err == nil && match != nil {
		start := toByte(match.Index)
		end := toByte(match.Index + match.Length)
		dst = append(dst, start, end)
		match, err = m.re.FindNextMatch(match)
	}
	return dst, err
}
