package tokenize

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/mlperf-tools/aggregator/internal/tokoracle"
)

// The character-class sweeps: every decision a normalizer, pre-tokenizer
// or the added vocabulary takes per character is checked against the HF
// library on every code point (U+0000..U+10FFFF without the surrogates).
// A sweep is a list of probes (a short text about one code point), joined
// with a separator into a few large texts; the library answers for all of
// them in one node process (scripts/tokenizer-oracle/sweep.js), and each
// text is compared with ours whole, then, if it differs, probe by probe.

// classProbe is one probe text, pre+r+post, about the code point r; the
// (pre, post) pair is interned (sweeps hold millions of probes).
type classProbe struct {
	r   rune
	ctx uint32
}

var probeContexts struct {
	sync.Mutex
	list [][2]string
	ids  map[[2]string]uint32
}

func newProbe(pre string, r rune, post string) classProbe {
	return classProbe{r, probeContext(pre, post)}
}

// probeContext interns the context (pre, post).
func probeContext(pre, post string) uint32 {
	c := &probeContexts
	c.Lock()
	defer c.Unlock()
	k := [2]string{pre, post}
	id, ok := c.ids[k]
	if !ok {
		if c.ids == nil {
			c.ids = map[[2]string]uint32{}
		}
		id = uint32(len(c.list))
		c.list = append(c.list, k)
		c.ids[k] = id
	}
	return id
}

func (p classProbe) context() (pre, post string) {
	c := &probeContexts
	c.Lock()
	defer c.Unlock()
	k := c.list[p.ctx]
	return k[0], k[1]
}

func (p classProbe) String() string {
	pre, post := p.context()
	return pre + string(p.r) + post
}

// classJob is one component probed with one list of probes.
type classJob struct {
	name   string
	mode   tokoracle.SweepMode
	tok    *Tokenizer
	path   string
	sep    string // appended to every probe
	probes []classProbe
	alone  bool // one text per probe (a normalizer that acts on the ends of the text)

	texts  []string
	starts [][]int // byte offset of each probe in its text, and the text's length
	first  []int   // index of the text's first probe
}

const classProbesPerText = 1 << 15

func (j *classJob) build() {
	per := classProbesPerText
	if j.alone {
		per = 1
	}
	for i := 0; i < len(j.probes); i += per {
		ps := j.probes[i:min(i+per, len(j.probes))]
		var b strings.Builder
		st := make([]int, 0, len(ps)+1)
		for _, p := range ps {
			st = append(st, b.Len())
			pre, post := p.context()
			b.WriteString(pre)
			b.WriteRune(p.r)
			b.WriteString(post)
			b.WriteString(j.sep)
		}
		st = append(st, b.Len())
		j.texts = append(j.texts, b.String())
		j.starts = append(j.starts, st)
		j.first = append(j.first, i)
	}
}

// classMismatch is a probe on which we differ from the library.
type classMismatch struct {
	r         rune
	probe     string
	ours, lib string
	whole     bool // the first probe that differs in its text (the rest are not compared)
}

// allRunes returns every code point but the surrogates.
func allRunes() []rune {
	out := make([]rune, 0, 0x110000)
	for r := rune(0); r <= 0x10FFFF; r++ {
		if r < 0xD800 || r > 0xDFFF {
			out = append(out, r)
		}
	}
	return out
}

func probesOf(rs []rune, pre, post string) []classProbe {
	out := make([]classProbe, len(rs))
	ctx := probeContext(pre, post)
	for i, r := range rs {
		out[i] = classProbe{r, ctx}
	}
	return out
}

// classTokenizer writes and loads a tokenizer with the given normalizer,
// pre-tokenizer and added tokens (the model does not take part).
func classTokenizer(t *testing.T, o synthOpts) (string, *Tokenizer) {
	t.Helper()
	path := writeTokenizerJSON(t, synthJSON(o))
	tok, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, tok
}

// spanRecorder is a model that records the pre-tokens it is given as
// byte offsets into the text being counted.
type spanRecorder struct {
	base  uintptr
	spans []int
}

func (m *spanRecorder) tokenize(c *Counter, w string) error {
	off := int(uintptr(unsafe.Pointer(unsafe.StringData(w))) - m.base)
	m.spans = append(m.spans, off, off+len(w))
	return nil
}
func (m *spanRecorder) size() int                     { return 0 }
func (m *spanRecorder) tokenID(string) (uint32, bool) { return 0, false }

// ourSpans runs tok's pre-tokenizer alone on s and returns its pieces as
// byte offsets.
func ourSpans(tok *Tokenizer, s string) []int {
	if s == "" {
		return nil
	}
	rec := &spanRecorder{base: uintptr(unsafe.Pointer(unsafe.StringData(s)))}
	alone := &Tokenizer{pre: tok.pre, model: rec, nBufSlots: tok.nBufSlots, nIntSlots: tok.nIntSlots}
	c := alone.newCounter()
	if err := c.pre(0, s, true); err != nil {
		panic(err)
	}
	return rec.spans
}

// ourNormalize runs tok's normalizer alone on s.
func ourNormalize(tok *Tokenizer, s string) string {
	out, err := tok.norm.apply(nil, s, newScratch(tok.nBufSlots, tok.nIntSlots))
	if err != nil {
		panic(err)
	}
	return string(out)
}

// classProbesPerCall bounds the probes of one oracle call, so that we
// compare one batch while the library works on the next.
const classProbesPerCall = 8 * classProbesPerText

// runClassJobs runs the jobs against the library and reports every probe
// on which we differ.
func runClassJobs(t *testing.T, jobs []*classJob) {
	t.Helper()
	start := time.Now()
	type call struct{ job, first int }
	var calls []call
	var sj []tokoracle.SweepJob
	for i, j := range jobs {
		j.build()
		for k := 0; k < len(j.texts); {
			n, end := 0, k
			for end < len(j.texts) && n < classProbesPerCall {
				n += len(j.starts[end]) - 1
				end++
			}
			calls = append(calls, call{i, k})
			sj = append(sj, tokoracle.SweepJob{Path: j.path, Mode: j.mode, Texts: j.texts[k:end]})
			k = end
		}
	}
	bad := make([][]classMismatch, len(jobs))
	jobStart := time.Now()
	var oursTime time.Duration
	err := tokoracle.Sweep(sj, func(i int, out json.RawMessage) error {
		c := calls[i]
		j := jobs[c.job]
		t0 := time.Now()
		defer func() { oursTime += time.Since(t0) }()
		var b []classMismatch
		switch j.mode {
		case tokoracle.SweepNormalize:
			var lib []string
			if err := json.Unmarshal(out, &lib); err != nil {
				return err
			}
			b = j.compareNormalized(c.first, lib)
		case tokoracle.SweepSpans:
			var lib [][]int
			if err := json.Unmarshal(out, &lib); err != nil {
				return err
			}
			b = j.compareSpans(c.first, lib)
		case tokoracle.SweepIDs:
			var lib [][]int
			if err := json.Unmarshal(out, &lib); err != nil {
				return err
			}
			b = j.compareIDs(c.first, lib)
		}
		bad[c.job] = append(bad[c.job], b...)
		if i+1 == len(calls) || calls[i+1].job != c.job {
			reportClassMismatches(t, j, bad[c.job], time.Since(jobStart))
			jobStart = time.Now()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d jobs in %v (comparing %v)", len(jobs), time.Since(start).Round(time.Millisecond), oursTime.Round(time.Millisecond))
}

func reportClassMismatches(t *testing.T, j *classJob, bad []classMismatch, d time.Duration) {
	t.Helper()
	runes := map[rune]bool{}
	for _, m := range bad {
		runes[m.r] = true
	}
	ncp := 0
	seen := make([]bool, utf8.MaxRune+1)
	for _, p := range j.probes {
		if !seen[p.r] {
			seen[p.r] = true
			ncp++
		}
	}
	if len(bad) == 0 {
		t.Logf("%s: %d probes (%d code points) in %d texts: all equal (%v)", j.name, len(j.probes), ncp, len(j.texts), d.Round(time.Millisecond))
		return
	}
	rs := slices.Sorted(func(yield func(rune) bool) {
		for r := range runes {
			if !yield(r) {
				return
			}
		}
	})
	var list []string
	for i := 0; i < len(rs) && len(list) < 60; {
		k := i
		for k+1 < len(rs) && rs[k+1] == rs[k]+1 {
			k++
		}
		if k == i {
			list = append(list, fmt.Sprintf("U+%04X", rs[i]))
		} else {
			list = append(list, fmt.Sprintf("U+%04X..%04X", rs[i], rs[k]))
		}
		i = k + 1
	}
	t.Errorf("%s: %d of %d probes differ, on %d code points: %s", j.name, len(bad), len(j.probes), len(rs), strings.Join(list, " "))
	for _, m := range bad[:min(len(bad), 12)] {
		where := ""
		if m.whole {
			where = " (the first probe that differs in its text)"
		}
		t.Errorf("  %s U+%04X %+q%s: ours %+q, library %+q", j.name, m.r, m.probe, where, m.ours, m.lib)
	}
}

// compareNormalized compares the library's normalized texts with ours.
func (j *classJob) compareNormalized(first int, libs []string) []classMismatch {
	var bad []classMismatch
	for i, lib := range libs {
		k := first + i
		text := j.texts[k]
		ours := ourNormalize(j.tok, text)
		if ours == lib {
			continue
		}
		ps := j.probes[j.first[k] : j.first[k]+len(j.starts[k])-1]
		if len(ps) == 1 {
			bad = append(bad, classMismatch{r: ps[0].r, probe: ps[0].String(), ours: ours, lib: lib})
			continue
		}
		og := strings.Split(ours, j.sep)
		lg := strings.Split(lib, j.sep)
		if len(og) == len(ps)+1 && len(lg) == len(ps)+1 {
			for i, p := range ps {
				if og[i] != lg[i] {
					bad = append(bad, classMismatch{r: p.r, probe: p.String(), ours: og[i], lib: lg[i]})
				}
			}
			continue
		}
		// A probe's output holds the separator: find the first probe that
		// differs by normalizing the probes one by one.
		rest := lib
		for _, p := range ps {
			o := ourNormalize(j.tok, p.String()+j.sep)
			if !strings.HasPrefix(rest, o) {
				bad = append(bad, classMismatch{r: p.r, probe: p.String(), ours: o, lib: rest[:min(len(rest), len(o)+8)], whole: true})
				break
			}
			rest = rest[len(o):]
		}
	}
	return bad
}

// compareSpans compares the library's pieces (code-point offsets) with
// ours; every boundary one side has and the other has not is charged to
// the probe it falls in.
func (j *classJob) compareSpans(first int, libs [][]int) []classMismatch {
	var bad []classMismatch
	for i, lib := range libs {
		k := first + i
		text := j.texts[k]
		ours := ourSpans(j.tok, text)
		// The library's offsets are code points: convert them to bytes.
		cpByte := make([]int, 0, len(text)+1)
		for i := range text {
			cpByte = append(cpByte, i)
		}
		cpByte = append(cpByte, len(text))
		libB := make([]int, len(lib))
		for i, c := range lib {
			libB[i] = cpByte[c]
		}
		if slices.Equal(ours, libB) {
			continue
		}
		st := j.starts[k]
		probeAt := func(off int) int { return sort.SearchInts(st, off+1) - 1 }
		charged := map[int]bool{}
		for _, off := range spanDiff(ours, libB) {
			p := probeAt(off)
			if p >= len(st)-1 {
				p = len(st) - 2
			}
			if charged[p] {
				continue
			}
			charged[p] = true
			pr := j.probes[j.first[k]+p]
			lo, hi := st[p], st[p+1]
			bad = append(bad, classMismatch{r: pr.r, probe: pr.String(),
				ours: piecesIn(text, ours, lo, hi), lib: piecesIn(text, libB, lo, hi)})
		}
	}
	return bad
}

// spanDiff returns the offsets where one list of pieces has a start or an
// end that the other has not.
func spanDiff(a, b []int) []int {
	type ev struct{ off, kind int }
	evs := func(s []int) map[ev]bool {
		m := make(map[ev]bool, len(s))
		for i, o := range s {
			m[ev{o, i % 2}] = true
		}
		return m
	}
	ma, mb := evs(a), evs(b)
	var out []int
	for e := range ma {
		if !mb[e] {
			out = append(out, e.off)
		}
	}
	for e := range mb {
		if !ma[e] {
			out = append(out, e.off)
		}
	}
	slices.Sort(out)
	return out
}

// piecesIn shows the pieces that overlap text[lo:hi].
func piecesIn(text string, spans []int, lo, hi int) string {
	var parts []string
	n := len(spans) / 2
	i := sort.Search(n, func(k int) bool { return spans[2*k+1] > lo })
	for ; i < n && spans[2*i] < hi; i++ {
		a, b := spans[2*i], spans[2*i+1]
		pre, post := "", ""
		if a < lo-12 {
			a, pre = lo-12, "…"
		}
		if b > hi+12 {
			b, post = hi+12, "…"
		}
		for a > 0 && !utf8.RuneStart(text[a]) {
			a--
		}
		for b < len(text) && !utf8.RuneStart(text[b]) {
			b++
		}
		parts = append(parts, pre+strconv.Quote(text[a:b])+post)
	}
	return strings.Join(parts, " ")
}

// compareIDs compares the library's ids with ours; the first probe that
// differs in a text is found by encoding the probes one by one.
func (j *classJob) compareIDs(first int, libs [][]int) []classMismatch {
	var bad []classMismatch
	for i, lib := range libs {
		k := first + i
		text := j.texts[k]
		ours := j.tok.Encode(text)
		if slices.Equal(ours, lib) {
			continue
		}
		ps := j.probes[j.first[k] : j.first[k]+len(j.starts[k])-1]
		rest := lib
		for _, p := range ps {
			o := j.tok.Encode(p.String() + j.sep)
			if len(rest) < len(o) || !slices.Equal(rest[:len(o)], o) {
				bad = append(bad, classMismatch{r: p.r, probe: p.String(), ours: fmt.Sprint(o), lib: fmt.Sprint(rest[:min(len(rest), len(o)+4)]), whole: true})
				break
			}
			rest = rest[len(o):]
		}
	}
	return bad
}

// TestParityPreTokenizerClasses sweeps the per-character decisions of the
// pre-tokenizers: Whitespace (\w, \s of the regex crate), WhitespaceSplit
// and BertPreTokenizer (char::is_whitespace, punctuation), Punctuation,
// Digits (char::is_numeric) with and without individual_digits. Each runs
// on every code point between separators of the class that merges (so
// that only the code points of the other classes make pieces) and on all
// code points in a row.
func TestParityPreTokenizerClasses(t *testing.T) {
	tokoracle.Differential(t)
	if err := tokoracle.Available(); err != nil {
		t.Skip(err)
	}
	rs := allRunes()
	alone := probesOf(rs, "", "")
	var jobs []*classJob
	add := func(name string, pre any, seps ...string) {
		path, tok := classTokenizer(t, synthOpts{preTokenizer: pre})
		for _, sep := range seps {
			jobs = append(jobs, &classJob{name: fmt.Sprintf("%s sep %q", name, sep), mode: tokoracle.SweepSpans,
				tok: tok, path: path, sep: sep, probes: alone})
		}
	}
	add("Whitespace", map[string]any{"type": "Whitespace"}, "!", "")
	add("WhitespaceSplit", map[string]any{"type": "WhitespaceSplit"}, "a", "")
	add("BertPreTokenizer", map[string]any{"type": "BertPreTokenizer"}, "a", "")
	add("Punctuation", map[string]any{"type": "Punctuation", "behavior": "Isolated"}, "a", "")
	add("Digits", map[string]any{"type": "Digits", "individual_digits": false}, "a", "")
	add("Digits individual", map[string]any{"type": "Digits", "individual_digits": true}, "a", "")
	runClassJobs(t, jobs)
}

// TestParityNormalizerClasses sweeps the per-character decisions of the
// normalizers on every code point: the Bert normalizer's clean_text
// (controls, whitespace), handle_chinese_chars, strip_accents and
// lowercase, each alone and all together; Lowercase (char::to_lowercase),
// StripAccents, Nmt and the four Unicode forms on each code point alone;
// Strip on r+"a" (r leading the text) and "a"+r (trailing) for a sample.
func TestParityNormalizerClasses(t *testing.T) {
	tokoracle.Differential(t)
	if err := tokoracle.Available(); err != nil {
		t.Skip(err)
	}
	rs := allRunes()
	alone := probesOf(rs, "", "")
	between := probesOf(rs, "a", "a")
	var jobs []*classJob
	add := func(name string, n any, sep string, probes []classProbe) {
		path, tok := classTokenizer(t, synthOpts{normalizer: n})
		jobs = append(jobs, &classJob{name: name, mode: tokoracle.SweepNormalize, tok: tok, path: path, sep: sep, probes: probes})
	}
	bert := func(clean, chinese, strip, lower bool) map[string]any {
		return map[string]any{"type": "BertNormalizer", "clean_text": clean, "handle_chinese_chars": chinese, "strip_accents": strip, "lowercase": lower}
	}
	add("Bert clean_text", bert(true, false, false, false), "|", between)
	add("Bert handle_chinese_chars", bert(false, true, false, false), "\n", alone)
	add("Bert strip_accents", bert(false, false, true, false), "\n", alone)
	add("Bert lowercase", bert(false, false, false, true), "\n", alone)
	add("Bert", map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": true}, "|", between)
	add("Lowercase", map[string]any{"type": "Lowercase"}, "\n", alone)
	add("StripAccents", map[string]any{"type": "StripAccents"}, "\n", alone)
	add("Nmt", map[string]any{"type": "Nmt"}, "|", between)
	// Strip acts on the ends of the whole text, one text per probe (a
	// call each): every whitespace code point and every 16th other. Its
	// rule, char::is_whitespace, is isWhiteSpace, which WhitespaceSplit,
	// BertPreTokenizer and clean_text check on every code point above.
	var strip []rune
	for i, r := range rs {
		if i%16 == 0 || isWhiteSpace(r) {
			strip = append(strip, r)
		}
	}
	path, tok := classTokenizer(t, synthOpts{normalizer: map[string]any{"type": "Strip", "strip_left": true, "strip_right": true}})
	jobs = append(jobs, &classJob{name: "Strip", mode: tokoracle.SweepNormalize, tok: tok, path: path,
		probes: append(probesOf(strip, "", "a"), probesOf(strip, "a", "")...), alone: true})
	for _, f := range normForms {
		add(f, map[string]any{"type": f}, "\n", alone)
	}
	runClassJobs(t, jobs)
}

// TestParityScriptClasses sweeps UnicodeScripts' script of every code
// point. A cut before r in "f"+r means that r has a script (not Any) and
// that it differs from f's. Each r is probed after a representative of
// its own script (ours), where it must not cut, and after a character of
// another script, where it must cut unless it has none; the
// representatives must all cut against each other. Together that makes
// the library's partition of the code points into scripts (and Any)
// equal to ours.
func TestParityScriptClasses(t *testing.T) {
	tokoracle.Differential(t)
	if err := tokoracle.Available(); err != nil {
		t.Skip(err)
	}
	rs := allRunes()
	latin, han := scriptOf('a'), scriptOf('一')
	rep := map[scriptID]rune{0: '一', latin: 'a', han: '一'}
	for r := rune(0x80); r <= 0x10FFFF; r++ {
		if id := scriptOf(r); id != 0 {
			if _, ok := rep[id]; !ok {
				rep[id] = r
			}
		}
	}
	own := make([]classProbe, len(rs))
	other := make([]classProbe, len(rs))
	for i, r := range rs {
		own[i] = newProbe(string(rep[scriptOf(r)]), r, "")
		if scriptOf(r) == latin {
			other[i] = newProbe("一", r, "")
		} else {
			other[i] = newProbe("a", r, "")
		}
	}
	var reps []rune
	for id, r := range rep {
		if id != 0 {
			reps = append(reps, r)
		}
	}
	slices.Sort(reps)
	var pairs []classProbe
	for i, a := range reps {
		for _, b := range reps[i+1:] {
			pairs = append(pairs, newProbe(string(a), b, ""), newProbe(string(b), a, ""))
		}
	}
	path, tok := classTokenizer(t, synthOpts{preTokenizer: map[string]any{"type": "UnicodeScripts"}})
	runClassJobs(t, []*classJob{
		{name: "UnicodeScripts after its own script", mode: tokoracle.SweepSpans, tok: tok, path: path, probes: own},
		{name: "UnicodeScripts after another script", mode: tokoracle.SweepSpans, tok: tok, path: path, probes: other},
		{name: "UnicodeScripts representatives", mode: tokoracle.SweepSpans, tok: tok, path: path, probes: pairs},
	})
}

// graphemeCharsmap makes extended grapheme clusters visible: every ASCII
// byte but NUL, CR and LF is a key for itself, every UTF-8 lead byte a key
// for a marker (U+0100 + its index). A cluster shorter than 6 bytes of
// several characters is then replaced by one character, a longer one (or
// one character) character by character: the output shows every cluster
// boundary the Precompiled normalizer acts on. CR and LF stay themselves,
// so "\n" separates probes (a CR before it makes one cluster with it,
// left as it is).
func graphemeCharsmap() []byte {
	rules := map[string]string{}
	for b := 0; b < 256; b++ {
		if rep, ok := graphemeKey(byte(b)); ok {
			rules[string([]byte{byte(b)})] = rep
		}
	}
	return buildCharsmap(rules)
}

// graphemeReps are one representative of each Grapheme_Cluster_Break
// class and of the Extended_Pictographic and Indic_Conjunct_Break
// properties, of at most 3 bytes: Other, Control, Extend, ZWJ,
// SpacingMark, Prepend, Hangul L, V, T, LV, LVT, Extended_Pictographic,
// InCB Consonant and Linker.
var graphemeReps = []string{"a", "\u0085", "\u0300", "\u200d", "\u0903", "\u0600", "\u1100", "\u1161", "\u11a8",
	"\uac00", "\uac01", "\u00a9", "\u0915", "\u094d"}

// TestParityGraphemeClusters sweeps the extended grapheme clusters the
// Precompiled normalizer walks (the unicode-segmentation crate) with a
// charsmap that shows every boundary inside a cluster shorter than 6
// bytes, the only clusters the normalizer treats whole. Every code point
// gets the probes that TestGenerateGraphemeProps reads its properties
// from (GB3–GB13 with r on either side of Other, Extend, ZWJ, Prepend,
// Hangul and InCB characters, inside GB11 and GB9c sequences); every code
// point of the BMP also goes after and before each of 14 class
// representatives (a trailing U+0300 shows the boundary between them).
func TestParityGraphemeClusters(t *testing.T) {
	tokoracle.Differential(t)
	if err := tokoracle.Available(); err != nil {
		t.Skip(err)
	}
	ctx := func(p graphemeProbe) uint32 { return probeContext(p.prefix, p.suffix) }
	base := []uint32{ctx(graphemeProbe{"a", "a", 0})}
	for _, k := range []int{gpBeforeExtend, gpPictStart, gpConsonant, gpBeforeV, gpBeforeT} {
		base = append(base, ctx(graphemeProbes[k]))
	}
	var extending, hangul, pairs []uint32
	for _, k := range []int{gpPictEnd, gpPictExtend, gpPictZWJ, gpLinker, gpIncbExtend} {
		extending = append(extending, ctx(graphemeProbes[k]))
	}
	hangul = []uint32{ctx(graphemeProbes[gpBeforeL]), ctx(graphemeProbes[gpAfterV])}
	for _, x := range graphemeReps {
		pairs = append(pairs, probeContext(x, "\u0300"), probeContext("", x+"\u0300"))
	}
	var probes []classProbe
	add := func(r rune, ctxs []uint32) {
		for _, c := range ctxs {
			probes = append(probes, classProbe{r, c})
		}
	}
	for _, r := range allRunes() {
		// Whether r extends a cluster and whether it is Prepend (in one
		// probe: no character is both), whether it is a control,
		// Extended_Pictographic, InCB=Consonant, and joins Hangul V or T.
		add(r, base)
		// The rest tells apart the classes of characters that extend a
		// cluster or are Hangul (for any other, the probes above already
		// differ if the library gives it one of those classes).
		switch gcb(graphemeProps(r) & 0xF) {
		case gcbExtend, gcbZWJ, gcbSpacingMark:
			add(r, extending)
		case gcbL, gcbV, gcbT, gcbLV, gcbLVT:
			add(r, hangul)
		}
		if r < 0x10000 {
			add(r, pairs)
		}
	}
	n := map[string]any{"type": "Precompiled", "precompiled_charsmap": base64.StdEncoding.EncodeToString(graphemeCharsmap())}
	path, tok := classTokenizer(t, synthOpts{normalizer: n})
	runClassJobs(t, []*classJob{{name: "Precompiled grapheme clusters", mode: tokoracle.SweepNormalize, tok: tok, path: path, sep: graphemeSep, probes: probes}})
}

// TestParityAddedTokenClasses checks the added vocabulary's character
// classes, the regex crate's \w (single_word) and \s (lstrip, rstrip):
// the same tables as the Whitespace pre-tokenizer's, which
// TestParityPreTokenizerClasses checks on every code point, so here on
// every code point where our \w differs from Go's tables, every
// whitespace and every 32nd other code point, on each side of a
// single_word token and of an lstrip/rstrip token.
func TestParityAddedTokenClasses(t *testing.T) {
	tokoracle.Differential(t)
	if err := tokoracle.Available(); err != nil {
		t.Skip(err)
	}
	var rs []rune
	for i, r := range allRunes() {
		if i%32 == 0 || isWhiteSpace(r) || inRanges(r, wordOverrides) || r < utf8.RuneSelf {
			rs = append(rs, r)
		}
	}
	path, tok := classTokenizer(t, synthOpts{byteFallback: true, added: []map[string]any{
		{"content": "qq", "single_word": true, "special": false},
		{"content": "ZZ", "lstrip": true, "rstrip": true, "special": false},
	}})
	var probes []classProbe
	for _, c := range [][2]string{{"!", "qq!"}, {"!qq", "!"}, {"!", "ZZ!"}, {"!ZZ", "!"}} {
		probes = append(probes, probesOf(rs, c[0], c[1])...)
	}
	runClassJobs(t, []*classJob{{name: "added tokens", mode: tokoracle.SweepIDs, tok: tok, path: path, probes: probes}})
}
