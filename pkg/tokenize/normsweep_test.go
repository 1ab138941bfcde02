package tokenize

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/mlperf-tools/aggregator/internal/tokoracle"
)

// TestParityNormalizationSweep proves NFC, NFD, NFKC and NFKD against the
// HF library on every code point that has a canonical or compatibility
// decomposition or a non-zero combining class (and every rune such a
// decomposition contains), alone and in context: between ASCII letters,
// before and after Hangul jamo (leading, vowel, trailing, the edges of
// each composable range and the fillers just outside them, LV and LVT
// syllables, compatibility and halfwidth jamo), before and after combining
// marks of seven classes, followed by two marks out of canonical order, and
// as its own NFD/NFKD form (which must recompose).
//
// The tokenizers are built by the library itself (BPE.init with every
// rune of the expected output in the vocab and byte fallback for the rest,
// no merges, no pre-tokenizer, the form's normalizer), so the ids spell
// the normalized text; a mismatch is decoded back to text and reported per
// probe. Runes that appear in a decomposition but are not in Go's tables
// cannot occur: Unicode never changes a decomposition or a combining
// class once assigned, and the library's tables are older than Go's.
//
// The sweep is ~20k code points × 53 contexts × 4 forms.
func TestParityNormalizationSweep(t *testing.T) {
	tokoracle.Differential(t)
	if err := tokoracle.Available(); err != nil {
		t.Skip(err)
	}
	sel := sweepCandidates()
	vocab := sweepVocab(sel)
	names := make([]string, len(vocab))
	for s, id := range vocab {
		names[id] = s
	}
	// Texts of 64 code points' probes each; probes are separated by "\n",
	// which no normalization form lets interact with anything.
	var texts []string
	var probes [][]string
	var owners [][]rune
	for i := 0; i < len(sel); i += 64 {
		var ps []string
		var os []rune
		for _, c := range sel[i:min(i+64, len(sel))] {
			for _, p := range sweepContexts(c) {
				ps = append(ps, p)
				os = append(os, c)
			}
		}
		texts = append(texts, strings.Join(ps, "\n"))
		probes = append(probes, ps)
		owners = append(owners, os)
	}
	nprobes := 0
	for _, ps := range probes {
		nprobes += len(ps)
	}
	for _, form := range []string{"NFKC", "NFKD", "NFC", "NFD"} {
		t.Run(form, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			path := filepath.Join(t.TempDir(), "tokenizer.json")
			spec := tokoracle.Spec{
				Model:      tokoracle.Fn("BPE.init", vocab, []any{}, map[string]any{"byteFallback": true}),
				Normalizer: &tokoracle.Call{Fn: strings.ToLower(form) + "Normalizer"},
			}
			if err := tokoracle.Build(spec, path); err != nil {
				t.Fatal(err)
			}
			tok, err := LoadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want, err := tokoracle.Encode(path, texts)
			if err != nil {
				t.Fatal(err)
			}
			oracleTime := time.Since(start)
			bad := 0
			for i, text := range texts {
				got := tok.Encode(text)
				if slices.Equal(got, want[i]) {
					continue
				}
				g := strings.Split(sweepDecode(got, names), "\n")
				w := strings.Split(sweepDecode(want[i], names), "\n")
				if len(g) != len(probes[i]) || len(w) != len(probes[i]) {
					t.Errorf("%s: text %d: probe count changed (ours %d, oracle %d, sent %d)", form, i, len(g), len(w), len(probes[i]))
					bad++
					continue
				}
				for k, p := range probes[i] {
					if g[k] != w[k] {
						if bad++; bad <= 20 {
							t.Errorf("%s U+%04X: %+q → ours %+q, oracle %+q", form, owners[i][k], p, g[k], w[k])
						}
					}
				}
			}
			if bad > 0 {
				t.Errorf("%s: %d of %d probes differ", form, bad, nprobes)
			}
			t.Logf("%s: %d code points, %d probes in %d texts; oracle %v, total %v", form, len(sel), nprobes, len(texts),
				oracleTime.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		})
	}
}

// sweepCandidates returns every rune (above ASCII, surrogates excluded)
// that Go's tables give a decomposition or a non-zero combining class,
// and every non-ASCII rune of those decompositions.
func sweepCandidates() []rune {
	set := map[rune]bool{}
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		s := string(r)
		d := norm.NFKD.String(s)
		if d == s && norm.NFD.PropertiesString(s).CCC() == 0 {
			continue
		}
		set[r] = true
		for _, x := range d {
			if x >= 0x80 {
				set[x] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// Context runes of the sweep.
var (
	// Hangul: L U+1100, last L U+1112, U+1113 (old L, outside the
	// composable range), V filler U+1160, V U+1161, last V U+1175, T base
	// U+11A7 (not a T), T U+11A8, last T U+11C2, LV U+AC00, LVT U+AC01,
	// last syllable U+D7A3, compatibility ㄱ (→ L), ㅏ (→ V), ㄳ (→ T
	// only), halfwidth ﾡ and ￂ.
	sweepJamo = []rune{0x1100, 0x1112, 0x1113, 0x1160, 0x1161, 0x1175, 0x11A7, 0x11A8, 0x11C2,
		0xAC00, 0xAC01, 0xD7A3, 0x3131, 0x314F, 0x3133, 0xFFA1, 0xFFC2}
	// Combining marks of classes 1, 7 (nukta), 9 (virama), 202, 220, 230, 240.
	sweepMarks = []rune{0x0334, 0x093C, 0x094D, 0x0327, 0x0316, 0x0301, 0x0345}
)

// sweepContexts returns the probes of c.
func sweepContexts(c rune) []string {
	s := string(c)
	out := []string{s, "a" + s + "b", s + "\u0301\u0316", norm.NFD.String(s), norm.NFKD.String(s) + "\u0301"}
	for _, j := range sweepJamo {
		out = append(out, string(j)+s, s+string(j))
	}
	for _, m := range sweepMarks {
		out = append(out, string(m)+s, s+string(m))
	}
	return out
}

// sweepVocab is byte fallback plus every rune the four forms produce on
// the candidates and the context runes.
func sweepVocab(cands []rune) map[string]int {
	vocab := map[string]int{}
	for b := range 256 {
		vocab[fmt.Sprintf("<0x%02X>", b)] = b
	}
	add := func(s string) {
		for _, f := range []norm.Form{norm.NFC, norm.NFD, norm.NFKC, norm.NFKD} {
			for _, r := range f.String(s) {
				if _, ok := vocab[string(r)]; !ok && r != '\n' {
					vocab[string(r)] = len(vocab)
				}
			}
		}
	}
	for _, c := range cands {
		add(string(c))
	}
	for _, r := range slices.Concat(sweepJamo, sweepMarks) {
		add(string(r))
	}
	add("ab")
	return vocab
}

// sweepDecode spells ids back as text (byte-fallback tokens as bytes).
func sweepDecode(ids []int, names []string) string {
	var b []byte
	for _, id := range ids {
		n := names[id]
		if len(n) == 6 && strings.HasPrefix(n, "<0x") {
			v, _ := strconv.ParseUint(n[3:5], 16, 8)
			b = append(b, byte(v))
			continue
		}
		b = append(b, n...)
	}
	if !utf8.Valid(b) {
		return fmt.Sprintf("invalid UTF-8 %x", b)
	}
	return string(b)
}
