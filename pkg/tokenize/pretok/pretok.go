// Package pretok finds pre-token matches the way Hugging Face tokenizers'
// Split pre-tokenizer does (Oniguruma find_iter semantics): hand-written
// scanners for the known model patterns, recognised by their exact pattern
// text, and dlclark/regexp2 (with a match timeout) for any other pattern.
//
// # Semantics
//
// Character classes use Go's unicode tables, as regexp2 does: \p{L}, \p{N},
// \p{M}, \p{P}, \p{S} and the letter subcategories are the unicode package's
// categories, and \s is unicode.IsSpace (Unicode White_Space) — except for
// the runes listed in unicode_hf.go: Go 1.27 has Unicode 17.0, the HF
// library's Oniguruma Unicode 16.0, and the scanners follow HF on the 4,804
// runes whose class differs (regexp2, and so the fallback, does not). Case-insensitive
// contractions, (?i:'s|'t|'re|'ve|'m|'ll|'d), follow Oniguruma's Unicode case
// folding as the HF library does: "'ſ" (U+017F) is a contraction. regexp2
// alone would not match it; the fallback rewrites that group (see
// CompileRegexp).
//
// Text that is not valid UTF-8 (which HF never sees) is read as Go's
// []rune conversion reads it: each byte that does not start a valid
// sequence is one rune, U+FFFD, of class \p{So}. Offsets are always byte
// offsets into the original string.
package pretok

import (
	"fmt"
	"strings"
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

// scanners builds the hand-written Matcher of each known pattern.
var scanners = map[string]func() Matcher{
	Llama3Pattern:         func() Matcher { return newLlama3(cL, 3) },
	Qwen2Pattern:          func() Matcher { return newLlama3(cL, 1) },
	Qwen35Pattern:         func() Matcher { return newLlama3(cL|cM, 1) },
	O200kPattern:          func() Matcher { return newO200k(true, 3) },
	TekkenPattern:         func() Matcher { return newO200k(false, 1) },
	GPT2Pattern:           func() Matcher { return &gpt2Scanner{t: classes()} },
	DeepSeekDigitsPattern: func() Matcher { return &runScanner{t: classes(), want: cN, max: 3} },
	`\p{N}`:               func() Matcher { return &runScanner{t: classes(), want: cN, max: 1} },
	DeepSeekCJKPattern:    func() Matcher { return cjkScanner{} },
	DeepSeekPattern:       func() Matcher { return &deepSeekScanner{t: classes()} },
	deepSeekEscaped:       func() Matcher { return &deepSeekScanner{t: classes()} },
}

// Compile returns the Matcher for a Split Regex pattern: a hand-written
// scanner if the pattern is one of the known ones (see HasScanner),
// otherwise CompileRegexp's.
func Compile(pattern string) (Matcher, error) {
	if build, ok := scanners[pattern]; ok {
		return build(), nil
	}
	return CompileRegexp(pattern)
}

// CompileRegexp returns a regexp2-backed Matcher for pattern, with a match
// timeout of DefaultTimeout, whatever the pattern. It is Compile's fallback
// and the reference the scanners are tested against. To behave as
// Oniguruma (Ruby syntax) does in the HF library:
//   - ^ and $ match at line starts and ends (regexp2.Multiline), as
//     measured with the HF library;
//   - every (?i:'s|'t|'re|'ve|'m|'ll|'d) group is rewritten to also match
//     "'ſ" (Unicode case folding); other case-insensitive text keeps
//     regexp2's simple lowercasing, which differs from Oniguruma on the few
//     runes whose case-fold orbit has more than two members (ſ, K, Greek
//     sigma and theta forms…);
//   - an empty match that starts where the previous match ended is
//     dropped, as Oniguruma's find_iter does.
//
// It does not follow HF on runes assigned after Go's Unicode version (see
// the package documentation).
//
// Syntax regexp2 does not support, such as the possessive quantifiers ?+,
// *+, ++ and {n,m}+ of tiktoken's patterns, is an error.
func CompileRegexp(pattern string) (Matcher, error) {
	re, err := regexp2.Compile(foldContractions(pattern), regexp2.Multiline)
	if err != nil {
		hint := ""
		if strings.Contains(err.Error(), "nested repetition") {
			hint = " (possessive quantifiers such as ?+, *+, ++ are not supported)"
		}
		return nil, fmt.Errorf("pretok: unsupported pre-tokenizer pattern %q%s: %w", pattern, hint, err)
	}
	re.MatchTimeout = DefaultTimeout
	return &regexpMatcher{re: re}, nil
}

const (
	contractionsCI   = `(?i:'s|'t|'re|'ve|'m|'ll|'d)`
	contractionsFold = `(?:'[sS` + longS + `]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])`
)

// foldContractions rewrites each unescaped (?i:'s|'t|'re|'ve|'m|'ll|'d) in
// pattern to an explicit form that matches as Oniguruma's does.
func foldContractions(pattern string) string {
	var b strings.Builder
	for {
		i := strings.Index(pattern, contractionsCI)
		if i < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		slashes := 0
		for j := i - 1; j >= 0 && pattern[j] == '\\'; j-- {
			slashes++
		}
		b.WriteString(pattern[:i])
		if slashes%2 == 0 {
			b.WriteString(contractionsFold)
		} else {
			b.WriteString(contractionsCI)
		}
		pattern = pattern[i+len(contractionsCI):]
	}
}

type regexpMatcher struct{ re *regexp2.Regexp }

// AppendMatches implements Matcher.
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
	prevEnd := -1
	match, err := m.re.FindStringMatch(s)
	for err == nil && match != nil {
		start, end := match.Index, match.Index+match.Length
		if start != end || start != prevEnd {
			dst = append(dst, toByte(start), toByte(end))
			prevEnd = end
		}
		match, err = m.re.FindNextMatch(match)
	}
	if err != nil {
		return dst, fmt.Errorf("pretok: %w", err)
	}
	return dst, nil
}
