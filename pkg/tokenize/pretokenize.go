package tokenize

import (
	"strings"
	"unicode/utf8"

	"github.com/mlperf-tools/aggregator/pkg/tokenize/pretok"
)

// splitBehavior is HF's SplitDelimiterBehavior.
type splitBehavior uint8

const (
	behaviorRemoved splitBehavior = iota
	behaviorIsolated
	behaviorMergedWithPrevious
	behaviorMergedWithNext
	behaviorContiguous
)

var behaviorNames = map[string]splitBehavior{
	"Removed":            behaviorRemoved,
	"Isolated":           behaviorIsolated,
	"MergedWithPrevious": behaviorMergedWithPrevious,
	"MergedWithNext":     behaviorMergedWithNext,
	"Contiguous":         behaviorContiguous,
}

type stageKind uint8

const (
	stageSplit      stageKind = iota // regex, literal or char-predicate pattern + behavior
	stageWhitespace                  // HF Whitespace: keep \w+ and [^\w\s]+ runs
	stageMetaspace
	stageScripts     // HF UnicodeScripts: cut where the script changes
	stageFixedLength // HF FixedLength: pieces of length characters
	stageByteLevel   // always the last stage
)

type prependScheme uint8

const (
	prependAlways prependScheme = iota
	prependFirst
	prependNever
)

// preStage is one pre-tokenizer of the (flattened) pre_tokenizer sequence.
type preStage struct {
	kind stageKind

	// stageSplit
	re       pretok.Matcher
	literal  string
	pred     func(rune) bool
	behavior splitBehavior
	invert   bool

	// stageMetaspace
	replacement     string
	replacementRune rune
	scheme          prependScheme
	split           bool

	// stageFixedLength
	length int

	// stageByteLevel (re is the GPT-2 pattern when use_regex)
	addPrefixSpace bool
}

// stageScratch is a stage's per-Counter scratch.
type stageScratch struct {
	spans []int  // [start, end) pairs of the pattern's find_matches list
	flags []bool // is_match of each span
	out   []int  // the resulting pieces as [start, end) pairs
	buf   []byte // rewritten content (Metaspace, ByteLevel prefix space)
}

// findMatches fills sc.spans/flags with HF's Pattern::find_matches list
// (matches and the gaps between them) for a non-empty s.
func (st *preStage) findMatches(s string, sc *stageScratch) error {
	sc.spans, sc.flags = sc.spans[:0], sc.flags[:0]
	if st.pred != nil {
		last := 0
		for i, r := range s {
			if st.pred(r) {
				if last < i {
					sc.spans = append(sc.spans, last, i)
					sc.flags = append(sc.flags, false)
				}
				end := i + utf8.RuneLen(r)
				sc.spans = append(sc.spans, i, end)
				sc.flags = append(sc.flags, true)
				last = end
			}
		}
		if last < len(s) {
			sc.spans = append(sc.spans, last, len(s))
			sc.flags = append(sc.flags, false)
		}
		return nil
	}
	// Matches first, into out (as scratch), then interleave the gaps.
	var m []int
	if st.re != nil {
		var err error
		m, err = st.re.AppendMatches(sc.out[:0], s)
		sc.out = m
		if err != nil {
			return err
		}
	} else {
		m = sc.out[:0]
		for off := 0; off < len(s); {
			i := strings.Index(s[off:], st.literal)
			if i < 0 {
				break
			}
			m = append(m, off+i, off+i+len(st.literal))
			off += i + len(st.literal)
		}
		sc.out = m
	}
	prev := 0
	for k := 0; k+1 < len(m); k += 2 {
		if prev != m[k] {
			sc.spans = append(sc.spans, prev, m[k])
			sc.flags = append(sc.flags, false)
		}
		sc.spans = append(sc.spans, m[k], m[k+1])
		sc.flags = append(sc.flags, true)
		prev = m[k+1]
	}
	if prev != len(s) {
		sc.spans = append(sc.spans, prev, len(s))
		sc.flags = append(sc.flags, false)
	}
	return nil
}

// applyBehavior turns the find_matches list into pieces (sc.out), as
// NormalizedString::split does, dropping empty pieces.
func applyBehavior(b splitBehavior, invert bool, sc *stageScratch) {
	out := sc.out[:0]
	spans, flags := sc.spans, sc.flags
	n := len(flags)
	isMatch := func(k int) bool { return flags[k] != invert }
	switch b {
	case behaviorIsolated:
		out = append(out, spans...)
	case behaviorRemoved:
		for k := 0; k < n; k++ {
			if !isMatch(k) {
				out = append(out, spans[2*k], spans[2*k+1])
			}
		}
	case behaviorContiguous:
		prev := false
		for k := 0; k < n; k++ {
			m := isMatch(k)
			if m == prev && len(out) > 0 {
				out[len(out)-1] = spans[2*k+1]
			} else {
				out = append(out, spans[2*k], spans[2*k+1])
			}
			prev = m
		}
	case behaviorMergedWithPrevious:
		prev := false
		for k := 0; k < n; k++ {
			m := isMatch(k)
			if m && !prev && len(out) > 0 {
				out[len(out)-1] = spans[2*k+1]
			} else {
				out = append(out, spans[2*k], spans[2*k+1])
			}
			prev = m
		}
	case behaviorMergedWithNext:
		// Folded from the right, then reversed: build reversed, flip.
		prev := false
		for k := n - 1; k >= 0; k-- {
			m := isMatch(k)
			if m && !prev && len(out) > 0 {
				out[len(out)-2] = spans[2*k]
			} else {
				out = append(out, spans[2*k], spans[2*k+1])
			}
			prev = m
		}
		for i, j := 0, len(out)-2; i < j; i, j = i+2, j-2 {
			out[i], out[j] = out[j], out[i]
			out[i+1], out[j+1] = out[j+1], out[i+1]
		}
	}
	// Drop empty pieces.
	w := 0
	for k := 0; k+1 < len(out); k += 2 {
		if out[k] != out[k+1] {
			out[w], out[w+1] = out[k], out[k+1]
			w += 2
		}
	}
	sc.out = out[:w]
}

// whitespacePieces fills sc.out with HF Whitespace's pieces: runs of \w and
// runs of [^\w\s]; whitespace is removed.
func whitespacePieces(s string, sc *stageScratch) {
	out := sc.out[:0]
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isWordChar(r):
			j := i + size
			for j < len(s) {
				r2, sz := utf8.DecodeRuneInString(s[j:])
				if !isWordChar(r2) {
					break
				}
				j += sz
			}
			out = append(out, i, j)
			i = j
		case !isWhiteSpace(r):
			j := i + size
			for j < len(s) {
				r2, sz := utf8.DecodeRuneInString(s[j:])
				if isWordChar(r2) || isWhiteSpace(r2) {
					break
				}
				j += sz
			}
			out = append(out, i, j)
			i = j
		default:
			i += size
		}
	}
	sc.out = out
}

// metaspaceRewrite writes HF Metaspace's rewritten piece into sc.buf:
// spaces replaced, the replacement prepended per the scheme.
func (st *preStage) metaspaceRewrite(s string, origin bool, sc *stageScratch) string {
	b := sc.buf[:0]
	prepend := false
	switch st.scheme {
	case prependAlways:
		prepend = !startsWithReplacement(s, st)
	case prependFirst:
		prepend = origin && !startsWithReplacement(s, st)
	}
	if prepend {
		b = append(b, st.replacement...)
	}
	for {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			b = append(b, s...)
			break
		}
		b = append(b, s[:i]...)
		b = append(b, st.replacement...)
		s = s[i+1:]
	}
	sc.buf = b
	return unsafeString(b)
}

func startsWithReplacement(s string, st *preStage) bool {
	// The check runs after the space replacement, so a leading space counts.
	if s == "" {
		return false
	}
	if s[0] == ' ' {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r == st.replacementRune
}

// gpt2Pattern is the regex ByteLevel uses when use_regex is true.
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// fixedLengthPieces fills sc.out with HF FixedLength's pieces: n
// characters each, the last one shorter.
func fixedLengthPieces(s string, n int, sc *stageScratch) {
	out := sc.out[:0]
	start, k := 0, 0
	for i := range s {
		if k == n {
			out = append(out, start, i)
			start, k = i, 0
		}
		k++
	}
	if start < len(s) {
		out = append(out, start, len(s))
	}
	sc.out = out
}
