// Package tokcorpus generates a deterministic, deliberately hard text corpus
// for checking token counts against the Hugging Face tokenizers library: prose
// in many scripts, code, JSON, CJK, emoji sequences, combining-mark runs,
// whitespace and digit runs, contractions, special-token strings inside text,
// random strings drawn at the regex class boundaries, ~4k-token LLM answers
// and a few ~1 MB texts.
//
// The output depends only on the seed (no math/rand, no map iteration), so
// counts recorded from the oracle can be keyed by a hash of each text.
// Every text is valid UTF-8: Hugging Face accepts only valid UTF-8.
package tokcorpus

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
)

// DefaultSeed is the seed the parity tests and the committed expected counts use.
const DefaultSeed = 20260301

// CategoryLarge is the category of the ~1 MB texts.
const CategoryLarge = "large"

// Text is one corpus entry.
type Text struct {
	Name     string // unique, "category/index-kind"
	Category string
	Text     string
}

// Key is a short, stable content hash of the text, used to key recorded counts.
func (t Text) Key() string { return Key(t.Text) }

// Key returns the first 8 bytes of the SHA-256 of s, hex-encoded.
func Key(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// Generate returns the whole corpus for seed: Small(seed) followed by Large(seed).
func Generate(seed uint64) []Text {
	return append(Small(seed), Large(seed)...)
}

// Small returns every text except the ~1 MB ones (about 2,000 texts, ~1 MB total).
func Small(seed uint64) []Text {
	r := newRNG(seed)
	b := &builder{}
	for _, g := range generators {
		g.fn(b.category(g.name), r.fork(g.name))
	}
	return b.out
}

// generators lists the small-text categories in output order.
var generators = []struct {
	name string
	fn   func(*sink, *rng)
}{
	{"prose", genProse},
	{"code", genCode},
	{"json", genJSON},
	{"cjk", genCJK},
	{"rtl-indic-thai", genRTLIndicThai},
	{"emoji", genEmoji},
	{"combining", genCombining},
	{"whitespace", genWhitespace},
	{"digits", genDigits},
	{"url-email-path", genURLs},
	{"contractions", genContractions},
	{"special-tokens", genSpecial},
	{"markdown-latex", genMarkup},
	{"answers", genAnswers},
	{"class-boundary", genClassBoundary},
	{"unicode-edge", genUnicodeEdge},
}

// Categories returns the number of texts and bytes per category of texts.
func Categories(texts []Text) []CategoryStats {
	idx := map[string]int{}
	var out []CategoryStats
	for _, t := range texts {
		i, ok := idx[t.Category]
		if !ok {
			i = len(out)
			idx[t.Category] = i
			out = append(out, CategoryStats{Category: t.Category})
		}
		out[i].Texts++
		out[i].Bytes += len(t.Text)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Category < out[j].Category })
	return out
}

// CategoryStats summarises one category.
type CategoryStats struct {
	Category string
	Texts    int
	Bytes    int
}

// builder accumulates distinct texts; sink names them within one category.
type builder struct {
	out  []Text
	seen map[string]bool
}

type sink struct {
	b   *builder
	cat string
	n   int
}

func (b *builder) category(name string) *sink { return &sink{b: b, cat: name} }

// add appends a text named "<category>/<index>-<kind>", unless the corpus
// already holds the same text. Empty texts are kept: an empty input is a
// valid (zero-token) case.
func (s *sink) add(kind, text string) {
	if s.b.seen == nil {
		s.b.seen = map[string]bool{}
	}
	if s.b.seen[text] {
		return
	}
	s.b.seen[text] = true
	s.b.out = append(s.b.out, Text{
		Name:     fmt.Sprintf("%s/%04d-%s", s.cat, s.n, kind),
		Category: s.cat,
		Text:     text,
	})
	s.n++
}
