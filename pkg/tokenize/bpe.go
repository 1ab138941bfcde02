package tokenize

import (
	"fmt"
	"unicode/utf8"
)

// bpeModel is HF's BPE model (models/bpe): vocab, merge ranks, unknown
// handling, byte fallback, ignore_merges, subword prefix/suffix.
type bpeModel struct {
	vocab        map[string]uint32
	vocabSize    int // len(vocab), HF's get_vocab_size
	merges       *mergeTable
	unkID        int64 // -1: no unk_token
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool
	prefix       string // continuing_subword_prefix ("" = none)
	suffix       string // end_of_word_suffix ("" = none)

	fallbackIDs [256]int32 // ids of "<0xXX>", -1 if missing

	// byteLevel: words arrive as raw bytes and are looked up through the
	// ByteLevel alphabet (bytesChar).
	byteLevel bool
	byteIDs   [256]int32 // id of bytesChar[b], -1 if missing

	charIDs []int32 // rune < len(charIDs) -> id of the one-rune token, -1 if none

	// junctions holds (last rune of a, first rune of b) for every merge
	// (a, b); a boundary between two known runes not in it is never
	// crossed by a merge, so long words can be cut there (non-byte-level
	// models without prefix/suffix only; nil otherwise).
	junctions *pairSet
}

// bytesChar is the ByteLevel alphabet: byte -> rune (GPT-2's bytes_to_unicode).
var bytesChar = func() (m [256]rune) {
	n := rune(0)
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			m[b] = rune(b)
		} else {
			m[b] = 256 + n
			n++
		}
	}
	return m
}()

// bytesCharStr holds bytesChar as UTF-8 strings.
var bytesCharStr = func() (m [256]string) {
	for b := range m {
		m[b] = string(bytesChar[b])
	}
	return m
}()

// bpeScratch is the per-Counter scratch of the merge loop.
type bpeScratch struct {
	syms  []uint32
	ranks []uint64
	str   []byte
	// heap path
	prev, next []int32
	dead       []bool
	heap       []mergeItem
}

func (m *bpeModel) size() int { return m.vocabSize }

func (m *bpeModel) tokenID(s string) (uint32, bool) {
	id, ok := m.vocab[s]
	return id, ok
}

// tokenize is HF's BPE::tokenize (with its word cache).
func (m *bpeModel) tokenize(c *Counter, w string) error {
	if m.ignoreMerges {
		if id, ok := m.lookupWord(w, &c.bpe); ok {
			c.one[0] = id
			c.emitCached(w, c.one[:])
			return nil
		}
	}
	if m.junctions != nil && len(w) >= maxCacheKey {
		// Long word (e.g. a whole SentencePiece-style segment): cut where
		// no merge can cross and merge the chunks independently.
		c.cuts = m.cutPoints(c.cuts[:0], w)
		prev := 0
		for k := 0; k <= len(c.cuts); k++ {
			end := len(w)
			if k < len(c.cuts) {
				end = c.cuts[k]
			}
			m.chunk(c, w[prev:end])
			prev = end
		}
		return nil
	}
	c.emitCached(w, m.mergeWord(w, &c.bpe))
	return nil
}

// chunk merges one piece of a cut long word. Chunks share the word cache
// unless ignore_merges is on (a cached word would have had the whole-word
// vocab check that a chunk must not get).
func (m *bpeModel) chunk(c *Counter, w string) {
	if m.ignoreMerges {
		c.emitAll(m.mergeWord(w, &c.bpe))
		return
	}
	if c.cache != nil && len(w) < maxCacheKey {
		if ids, ok := c.cache.get(w); ok {
			c.emitAll(ids)
			return
		}
	}
	c.emitCached(w, m.mergeWord(w, &c.bpe))
}

func (m *bpeModel) lookup(s []byte) (uint32, bool) {
	id, ok := m.vocab[string(s)]
	return id, ok
}

// lookupWord returns the vocab id of a whole word (ignore_merges).
func (m *bpeModel) lookupWord(w string, sc *bpeScratch) (uint32, bool) {
	if !m.byteLevel {
		id, ok := m.vocab[w]
		return id, ok
	}
	b := sc.str[:0]
	for i := 0; i < len(w); i++ {
		b = append(b, bytesCharStr[w[i]]...)
	}
	sc.str = b
	return m.lookup(b)
}

// initSymbols appends the initial symbols of word w (HF merge_word before
// merging) to sc.syms.
func (m *bpeModel) initSymbols(w string, sc *bpeScratch) {
	syms := sc.syms[:0]
	if m.byteLevel && m.prefix == "" && m.suffix == "" {
		fast := true
		for i := 0; i < len(w); i++ {
			id := m.byteIDs[w[i]]
			if id < 0 {
				fast = false
				break
			}
			syms = append(syms, uint32(id))
		}
		if fast {
			sc.syms = syms
			return
		}
		syms = syms[:0]
	}
	var unk int64 = -1 // pending unk id
	for i := 0; i < len(w); {
		// The unit: a byte (byte-level) or a rune.
		var unit string
		var r rune = -1
		if m.byteLevel {
			unit = bytesCharStr[w[i]]
			i++
		} else {
			c, size := utf8.DecodeRuneInString(w[i:])
			unit = w[i : i+size]
			r = c
			i += size
		}
		var id uint32
		var ok bool
		if m.prefix == "" && m.suffix == "" && r >= 0 && int(r) < len(m.charIDs) {
			if v := m.charIDs[r]; v >= 0 {
				id, ok = uint32(v), true
			}
		} else {
			b := sc.str[:0]
			if !isFirstUnit(m, w, i, unit) && m.prefix != "" {
				b = append(b, m.prefix...)
			}
			b = append(b, unit...)
			if i == len(w) && m.suffix != "" {
				b = append(b, m.suffix...)
			}
			sc.str = b
			id, ok = m.lookup(b)
		}
		if ok {
			if unk >= 0 {
				syms = append(syms, uint32(unk))
				unk = -1
			}
			syms = append(syms, id)
			continue
		}
		// Unknown unit: byte fallback over the bytes of the looked-up
		// string (with prefix/suffix), else unk.
		looked := unit
		if m.prefix != "" || m.suffix != "" {
			looked = string(sc.str)
		}
		if m.byteFallback {
			all := true
			for k := 0; k < len(looked); k++ {
				if m.fallbackIDs[looked[k]] < 0 {
					all = false
					break
				}
			}
			if all {
				for k := 0; k < len(looked); k++ {
					syms = append(syms, uint32(m.fallbackIDs[looked[k]]))
				}
				continue // a pending unk stays pending, as in HF
			}
		}
		if m.unkID >= 0 {
			switch {
			case unk >= 0 && m.fuseUnk:
				// fused into the pending unk
			case unk >= 0:
				syms = append(syms, uint32(unk))
				unk = m.unkID
			default:
				unk = m.unkID
			}
		}
		// No unk_token: the unit is dropped, as in HF.
	}
	if unk >= 0 {
		syms = append(syms, uint32(unk))
	}
	sc.syms = syms
}

// isFirstUnit reports whether the unit ending at byte i of w is the first.
func isFirstUnit(m *bpeModel, w string, i int, unit string) bool {
	if m.byteLevel {
		return i == 1
	}
	return i == len(unit)
}

// mergeWord returns the token ids of word w (HF merge_word), in sc.syms.
func (m *bpeModel) mergeWord(w string, sc *bpeScratch) []uint32 {
	m.initSymbols(w, sc)
	if len(sc.syms) < 2 {
		return sc.syms
	}
	if len(sc.syms) <= shortWord {
		m.mergeShort(sc)
	} else {
		m.mergeHeap(sc)
	}
	return sc.syms
}

// shortWord is the longest word merged by the quadratic scan; longer words
// use the heap (the algorithm of HF's word.rs).
const shortWord = 48

const noRank = ^uint64(0)

// mergeShort repeatedly merges the adjacent pair of lowest rank, leftmost
// first. This is what HF's heap loop computes: its stale-entry check
// (same merged id) can only accept the current pair, because the text a
// position's pair covers only grows.
func (m *bpeModel) mergeShort(sc *bpeScratch) {
	syms := sc.syms
	ranks := sc.ranks[:0]
	for i := 0; i+1 < len(syms); i++ {
		ranks = append(ranks, m.pairRank(syms[i], syms[i+1]))
	}
	for {
		best, bi := noRank, -1
		for i, r := range ranks {
			if r>>32 < best>>32 {
				best, bi = r, i
			}
		}
		if bi < 0 {
			break
		}
		syms[bi] = uint32(best)
		copy(syms[bi+1:], syms[bi+2:])
		syms = syms[:len(syms)-1]
		copy(ranks[bi:], ranks[bi+1:])
		ranks = ranks[:len(ranks)-1]
		if bi > 0 {
			ranks[bi-1] = m.pairRank(syms[bi-1], syms[bi])
		}
		if bi < len(ranks) {
			ranks[bi] = m.pairRank(syms[bi], syms[bi+1])
		}
	}
	sc.syms = syms
	sc.ranks = ranks
}

// pairRank packs rank<<32|new id, or noRank.
func (m *bpeModel) pairRank(a, b uint32) uint64 {
	rank, id, ok := m.merges.get(a, b)
	if !ok {
		return noRank
	}
	return uint64(rank)<<32 | uint64(id)
}

type mergeItem struct {
	rank, pos, id uint32
}

func itemLess(a, b mergeItem) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.pos < b.pos
}

func (sc *bpeScratch) push(it mergeItem) {
	h := append(sc.heap, it)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !itemLess(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	sc.heap = h
}

func (sc *bpeScratch) pop() mergeItem {
	h := sc.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		c := l
		if r := l + 1; r < len(h) && itemLess(h[r], h[l]) {
			c = r
		}
		if !itemLess(h[c], h[i]) {
			break
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
	sc.heap = h
	return top
}

// mergeHeap is HF's Word::merge_all without dropout.
func (m *bpeModel) mergeHeap(sc *bpeScratch) {
	syms := sc.syms
	n := len(syms)
	sc.prev = resizeInt32(sc.prev, n)
	sc.next = resizeInt32(sc.next, n)
	if cap(sc.dead) < n {
		sc.dead = make([]bool, n)
	}
	dead := sc.dead[:n]
	prev, next := sc.prev, sc.next
	for i := range n {
		prev[i] = int32(i - 1)
		next[i] = int32(i + 1)
		dead[i] = false
	}
	next[n-1] = -1
	sc.heap = sc.heap[:0]
	for i := 0; i+1 < n; i++ {
		if rank, id, ok := m.merges.get(syms[i], syms[i+1]); ok {
			sc.push(mergeItem{rank, uint32(i), id})
		}
	}
	for len(sc.heap) > 0 {
		top := sc.pop()
		p := int32(top.pos)
		if dead[p] || next[p] < 0 {
			continue
		}
		np := next[p]
		if _, id, ok := m.merges.get(syms[p], syms[np]); !ok || id != top.id {
			continue
		}
		syms[p] = top.id
		dead[np] = true
		next[p] = next[np]
		if next[np] >= 0 {
			prev[next[np]] = p
		}
		if pp := prev[p]; pp >= 0 {
			if rank, id, ok := m.merges.get(syms[pp], syms[p]); ok {
				sc.push(mergeItem{rank, uint32(pp), id})
			}
		}
		if nn := next[p]; nn >= 0 {
			if rank, id, ok := m.merges.get(syms[p], syms[nn]); ok {
				sc.push(mergeItem{rank, uint32(p), id})
			}
		}
	}
	w := 0
	for i := range n {
		if !dead[i] {
			syms[w] = syms[i]
			w++
		}
	}
	sc.syms = syms[:w]
}

func resizeInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

// cutPoints appends to dst the byte offsets (other than 0 and len) where
// word w can be cut without changing its BPE result (see junctions).
func (m *bpeModel) cutPoints(dst []int, w string) []int {
	prevR := rune(-1)
	for i, r := range w {
		if prevR >= 0 && m.knownRune(prevR) && m.knownRune(r) && !m.junctions.has(prevR, r) {
			dst = append(dst, i)
		}
		prevR = r
	}
	return dst
}

func (m *bpeModel) knownRune(r rune) bool {
	if int(r) < len(m.charIDs) {
		return m.charIDs[r] >= 0
	}
	var b [utf8.UTFMax]byte
	n := utf8.EncodeRune(b[:], r)
	_, ok := m.vocab[string(b[:n])]
	return ok
}

func (m *bpeModel) String() string {
	return fmt.Sprintf("BPE(vocab %d, merges %d)", m.vocabSize, m.merges.n)
}
