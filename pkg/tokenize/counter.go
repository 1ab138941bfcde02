package tokenize

import "unicode/utf8"

// Counter counts tokens for one goroutine at a time. It owns its scratch
// buffers and its word cache, so counting allocates nothing once the
// buffers have grown. The daemon's workers each own one; Tokenizer.Count
// draws Counters from a pool.
type Counter struct {
	t       *Tokenizer
	sc      *scratch
	lossy   []byte
	rawSp   []addedSplit
	nrmSp   []addedSplit
	nrmBuf  []byte
	stages  []stageScratch
	bpe     bpeScratch
	cuts    []int
	wp      []byte         // WordPiece: prefix + candidate subword
	uni     unigramScratch // Unigram lattice
	cache   *wordCache     // nil: no word cache
	wantIDs bool
	ids     []uint32
	n       int
	one     [1]uint32
}

// NewCounter returns a Counter with its own scratch and word cache.
func (t *Tokenizer) NewCounter() *Counter {
	c := t.newCounter()
	c.cache = newWordCache()
	return c
}

// NewCounterNoCache returns a Counter without a word cache (for
// measurements and tests; the results are identical).
func (t *Tokenizer) NewCounterNoCache() *Counter { return t.newCounter() }

func (t *Tokenizer) newCounter() *Counter {
	return &Counter{
		t:      t,
		sc:     newScratch(t.nBufSlots, t.nIntSlots),
		stages: make([]stageScratch, len(t.pre)),
	}
}

// Count returns the number of tokens of text, as HF tokenizers'
// encode(text, add_special_tokens=False) would produce; -1 if the text
// could not be tokenized (a pre-tokenizer regex timed out). Invalid UTF-8
// is first replaced with U+FFFD per maximal invalid subsequence, like
// Rust's String::from_utf8_lossy.
func (c *Counter) Count(text string) int {
	n, err := c.CountErr(text)
	if err != nil {
		return -1
	}
	return n
}

// CountErr is Count with the error.
func (c *Counter) CountErr(text string) (int, error) {
	c.wantIDs = false
	if err := c.run(text); err != nil {
		return 0, err
	}
	return c.n, nil
}

// Encode returns the token ids of text (add_special_tokens=false). The
// slice is owned by the caller.
func (c *Counter) Encode(text string) ([]int, error) {
	c.wantIDs = true
	c.ids = c.ids[:0]
	if err := c.run(text); err != nil {
		return nil, err
	}
	out := make([]int, len(c.ids))
	for i, id := range c.ids {
		out[i] = int(id)
	}
	return out, nil
}

func (c *Counter) emit(id uint32) {
	c.n++
	if c.wantIDs {
		c.ids = append(c.ids, id)
	}
}

func (c *Counter) emitAll(ids []uint32) {
	c.n += len(ids)
	if c.wantIDs {
		c.ids = append(c.ids, ids...)
	}
}

func (c *Counter) run(text string) error {
	c.n = 0
	s := text
	if !utf8.ValidString(s) {
		c.lossy = appendLossy(c.lossy[:0], s)
		s = unsafeString(c.lossy)
	}
	t := c.t
	c.rawSp = t.added.split(c.rawSp[:0], s, t.added.rawTrie)
	for _, sp := range c.rawSp {
		if sp.id >= 0 {
			c.emit(uint32(sp.id))
			continue
		}
		if sp.end <= sp.start {
			continue
		}
		if err := c.segment(s[sp.start:sp.end], sp.start == 0); err != nil {
			return err
		}
	}
	if t.limits != nil {
		var ids []uint32
		if c.wantIDs {
			ids = c.ids
		}
		n, ids, err := t.limits.apply(c.n, ids)
		if err != nil {
			return err
		}
		c.n = n
		if c.wantIDs {
			c.ids = ids
		}
	}
	return nil
}

// segment normalizes a piece of raw text between non-normalized added
// tokens, splits out the normalized added tokens and pre-tokenizes the rest.
func (c *Counter) segment(seg string, atStart bool) error {
	t := c.t
	ns := seg
	origin := atStart
	if t.norm != nil {
		b, err := t.norm.apply(c.nrmBuf[:0], seg, c.sc)
		c.nrmBuf = b
		if err != nil {
			return err
		}
		ns = unsafeString(b)
		origin = origin && t.norm.keepsStart()
	}
	if t.added.nrmTrie == nil {
		if ns == "" {
			return nil
		}
		return c.pre(0, ns, origin)
	}
	c.nrmSp = t.added.split(c.nrmSp[:0], ns, t.added.nrmTrie)
	for _, sp := range c.nrmSp {
		if sp.id >= 0 {
			c.emit(uint32(sp.id))
			continue
		}
		if sp.end <= sp.start {
			continue
		}
		if err := c.pre(0, ns[sp.start:sp.end], origin && sp.start == 0); err != nil {
			return err
		}
	}
	return nil
}

// pre runs pre-tokenizer stage i (and the following ones) on piece s.
func (c *Counter) pre(i int, s string, origin bool) error {
	t := c.t
	if i == len(t.pre) {
		return c.word(s)
	}
	st := &t.pre[i]
	sc := &c.stages[i]
	switch st.kind {
	case stageWhitespace:
		whitespacePieces(s, sc)
	case stageScripts:
		scriptPieces(s, sc)
	case stageFixedLength:
		fixedLengthPieces(s, st.length, sc)
	case stageMetaspace:
		s = st.metaspaceRewrite(s, origin, sc)
		if !st.split {
			return c.pre(i+1, s, origin)
		}
		if err := st.findMatches(s, sc); err != nil {
			return err
		}
		applyBehavior(behaviorMergedWithNext, false, sc)
	case stageByteLevel:
		if st.addPrefixSpace && s[0] != ' ' {
			b := append(sc.buf[:0], ' ')
			b = append(b, s...)
			sc.buf = b
			s = unsafeString(b)
		}
		if st.re == nil {
			return c.pre(i+1, s, origin)
		}
		if err := st.findMatches(s, sc); err != nil {
			return err
		}
		applyBehavior(behaviorIsolated, false, sc)
	default:
		if err := st.findMatches(s, sc); err != nil {
			return err
		}
		applyBehavior(st.behavior, st.invert, sc)
	}
	out := sc.out
	for k := 0; k+1 < len(out); k += 2 {
		if err := c.pre(i+1, s[out[k]:out[k+1]], origin && out[k] == 0); err != nil {
			return err
		}
	}
	return nil
}

// word runs the model on one pre-token. A word the cache holds never
// reaches the model (the hit path is the hot one).
func (c *Counter) word(w string) error {
	if w == "" {
		return nil
	}
	if c.cache != nil && !c.t.noWordCache && len(w) < maxCacheKey {
		if ids, ok := c.cache.get(w); ok {
			c.emitAll(ids)
			return nil
		}
	}
	return c.t.model.tokenize(c, w)
}
