package pretok

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// class is a bit set of the character classes the known patterns test. Each
// bit is defined by the same Go unicode table regexp2 consults for the
// corresponding pattern syntax, so a scanner and regexp2 classify every rune
// alike.
type class uint8

const (
	cL     class = 1 << iota // \p{L}
	cN                       // \p{N}
	cM                       // \p{M}
	cP                       // \p{P}
	cS                       // \p{S}
	cSpace                   // \s: unicode.IsSpace (regexp2's \s outside ECMAScript/RE2 modes)
	cU                       // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
	cW                       // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
)

// blockShift sets the block size of the two-level class table.
const blockShift = 7

// classTable maps every rune to its class through a two-level table built
// once, on first use, from the unicode package tables.
type classTable struct {
	ascii  [utf8.RuneSelf]class
	index  []uint16 // rune>>blockShift -> block number
	blocks []class  // concatenated blocks of 1<<blockShift classes
}

var (
	tableOnce sync.Once
	table     *classTable
)

// classes returns the shared class table, building it on first use.
func classes() *classTable {
	tableOnce.Do(func() { table = buildClassTable() })
	return table
}

// classRange gives the runes lo through hi the class c.
type classRange struct {
	lo, hi rune
	c      class
}

func buildClassTable() *classTable {
	flat := buildGoClasses()
	for _, o := range hfOverrides {
		for r := o.lo; r <= o.hi; r++ {
			flat[r] = o.c
		}
	}
	return compress(flat)
}

// buildGoClasses returns the class of every rune by Go's unicode tables,
// which regexp2 uses.
func buildGoClasses() []class {
	flat := make([]class, unicode.MaxRune+1)
	set := func(rt *unicode.RangeTable, c class) {
		for _, r := range rt.R16 {
			for x := rune(r.Lo); x <= rune(r.Hi); x += rune(r.Stride) {
				flat[x] |= c
			}
		}
		for _, r := range rt.R32 {
			for x := rune(r.Lo); x <= rune(r.Hi); x += rune(r.Stride) {
				flat[x] |= c
			}
		}
	}
	set(unicode.L, cL)
	set(unicode.N, cN)
	set(unicode.M, cM)
	set(unicode.P, cP)
	set(unicode.S, cS)
	for _, rt := range []*unicode.RangeTable{unicode.Lu, unicode.Lt, unicode.Lm, unicode.Lo, unicode.M} {
		set(rt, cU)
	}
	for _, rt := range []*unicode.RangeTable{unicode.Ll, unicode.Lm, unicode.Lo, unicode.M} {
		set(rt, cW)
	}
	// unicode.IsSpace is White_Space plus nothing else; ask it directly so
	// the table is regexp2's \s by definition.
	for r := rune(0); r <= 0x3000; r++ {
		if unicode.IsSpace(r) {
			flat[r] |= cSpace
		}
	}
	return flat
}

// compress packs a class per rune into a two-level table.
func compress(flat []class) *classTable {
	const size = 1 << blockShift
	t := &classTable{index: make([]uint16, len(flat)>>blockShift)}
	copy(t.ascii[:], flat[:utf8.RuneSelf])
	seen := make(map[[size]class]uint16)
	for i := range t.index {
		var blk [size]class
		copy(blk[:], flat[i<<blockShift:])
		n, ok := seen[blk]
		if !ok {
			n = uint16(len(seen))
			seen[blk] = n
			t.blocks = append(t.blocks, blk[:]...)
		}
		t.index[i] = n
	}
	return t
}

// of returns the class of r, which must be a valid rune or utf8.RuneError.
func (t *classTable) of(r rune) class {
	return t.blocks[int(t.index[r>>blockShift])<<blockShift|int(r&(1<<blockShift-1))]
}

// at decodes the rune at s[i] and returns its class and byte length. Each
// byte that does not start a valid UTF-8 sequence is one rune of class
// U+FFFD (\p{So}), exactly as regexp2 sees it after Go's []rune conversion.
func (t *classTable) at(s string, i int) (class, int) {
	if b := s[i]; b < utf8.RuneSelf {
		return t.ascii[b], 1
	}
	return t.atMulti(s, i)
}

// atMulti is at for a rune that is not ASCII, kept apart so at inlines.
func (t *classTable) atMulti(s string, i int) (class, int) {
	r, n := utf8.DecodeRuneInString(s[i:])
	return t.of(r), n
}

// span returns the end of the run of runes starting at s[i] whose class
// has a bit of want.
func (t *classTable) span(s string, i int, want class) int {
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf {
			if t.ascii[b]&want == 0 {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if t.of(r)&want == 0 {
			return i
		}
		i += n
	}
	return i
}

// spanNot returns the end of the run of runes starting at s[i] whose class
// has no bit of avoid.
func (t *classTable) spanNot(s string, i int, avoid class) int {
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf {
			if t.ascii[b]&avoid != 0 {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if t.of(r)&avoid != 0 {
			return i
		}
		i += n
	}
	return i
}

// spanMax is span limited to max runes.
func (t *classTable) spanMax(s string, i int, want class, max int) int {
	for ; max > 0 && i < len(s); max-- {
		c, n := t.at(s, i)
		if c&want == 0 {
			return i
		}
		i += n
	}
	return i
}

// spanBytes returns the end of the run of bytes starting at s[i] that are
// among the ASCII characters in set.
func spanBytes(s string, i int, set string) int {
	for i < len(s) && indexByte(set, s[i]) {
		i++
	}
	return i
}

func indexByte(set string, b byte) bool {
	for j := 0; j < len(set); j++ {
		if set[j] == b {
			return true
		}
	}
	return false
}

// isCRLF reports whether b is '\r' or '\n'.
func isCRLF(b byte) bool { return b == '\r' || b == '\n' }

// whitespace returns the end of the match at s[p], a whitespace rune of n
// bytes, of `\s*[\r\n]+|\s+(?!\S)|\s+` when crlf is set, or of
// `\s+(?!\S)|\s+` otherwise:
//   - \s*[\r\n]+ backtracks to just after the last CR or LF of the run;
//   - \s+(?!\S) takes the whole run at the end of s, and otherwise gives
//     back the run's last rune (which then starts the next match), unless
//     that leaves nothing;
//   - \s+ takes the lone rune that remains.
func (t *classTable) whitespace(s string, p, n int, crlf bool) int {
	lineEnd := -1
	if isCRLF(s[p]) {
		lineEnd = p + 1
	}
	last, q := p, p+n
	for q < len(s) {
		if b := s[q]; b < utf8.RuneSelf {
			if t.ascii[b]&cSpace == 0 {
				break
			}
			if isCRLF(b) {
				lineEnd = q + 1
			}
			last = q
			q++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[q:])
		if t.of(r)&cSpace == 0 {
			break
		}
		last = q
		q += size
	}
	switch {
	case crlf && lineEnd >= 0:
		return lineEnd
	case q == len(s) || last == p:
		return q
	default:
		return last
	}
}
