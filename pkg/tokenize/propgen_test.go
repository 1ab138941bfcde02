package tokenize

import (
	"fmt"
	"go/format"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/mlperf-tools/aggregator/internal/tokoracle"
)

// TestGeneratePropOverrides regenerates propoverrides.go by asking the HF
// library about every rune Go's tables assign (a rune Go does not assign
// cannot be assigned in the library's older tables):
//
//		TOKENIZE_GEN_PROPS=1 go test -run GeneratePropOverrides ./pkg/tokenize/
//
//	  - other (Bert clean_text): "a"+r+"a" normalizes to "aa";
//	  - nonspacing mark (Bert strip_accents): r, which NFD leaves alone,
//	    normalizes to "";
//	  - combining mark (StripAccents): r normalizes to "";
//	  - punctuation (Punctuation, Removed): r leaves no piece;
//	  - word and space (Whitespace, the regex crate's \w and \s, also the
//	    added vocabulary's): r alone leaves no piece if it is \s, "a"+r is
//	    one piece if r is \w; char::is_whitespace (WhitespaceSplit): "a"+r+"a"
//	    is two pieces, and must agree with \s (isWhiteSpace serves both);
//	  - numeric (Digits, char::is_numeric): "a"+r is two pieces;
//	  - script (UnicodeScripts): whether r cuts after "a" (Latin) and after
//	    "一" (Han), and, for other scripts, after a representative of its
//	    script, searching every script's representative when it does.
func TestGeneratePropOverrides(t *testing.T) {
	if os.Getenv("TOKENIZE_GEN_PROPS") != "1" {
		t.Skip("set TOKENIZE_GEN_PROPS=1 to regenerate propoverrides.go")
	}
	if err := tokoracle.Available(); err != nil {
		t.Skip(err)
	}
	tables := []*[]runeRange{&otherOverrides, &punctOverrides, &mnOverrides, &markOverrides, &wordOverrides, &spaceOverrides, &numericOverrides}
	names := []string{"otherOverrides", "punctOverrides", "mnOverrides", "markOverrides", "wordOverrides", "spaceOverrides", "numericOverrides"}
	saved := make([][]runeRange, len(tables))
	for i, p := range tables {
		saved[i], *p = *p, nil
	}
	savedScripts := scriptOverrides
	scriptOverrides = nil
	scriptsOnce.Do(initScripts)
	scriptOvrIDs = nil
	defer func() {
		for i, p := range tables {
			*p = saved[i]
		}
		scriptOverrides = savedScripts
	}()

	var runes []rune
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		if (r < 0xD800 || r > 0xDFFF) && isAssigned(r) {
			runes = append(runes, r)
		}
	}
	mk := func(normalizer, pre any) string {
		return writeTokenizerJSON(t, synthJSON(synthOpts{normalizer: normalizer, preTokenizer: pre}))
	}
	normalize := func(path string, texts []string) []string {
		out, err := tokoracle.Probe(path, "normalize", texts)
		if err != nil {
			t.Fatal(err)
		}
		return out.([]string)
	}
	pieces := func(path string, texts []string) []int {
		out, err := tokoracle.Probe(path, "pieces", texts)
		if err != nil {
			t.Fatal(err)
		}
		return out.([]int)
	}
	texts := func(f func(r rune) string) []string {
		out := make([]string, len(runes))
		for i, r := range runes {
			out[i] = f(r)
		}
		return out
	}
	alone := texts(func(r rune) string { return string(r) })
	afterA := texts(func(r rune) string { return "a" + string(r) })
	diff := make([][]rune, len(tables))
	// other
	res := normalize(mk(map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": false, "strip_accents": false, "lowercase": false}, nil),
		texts(func(r rune) string { return "a" + string(r) + "a" }))
	for i, r := range runes {
		if r != 0xFFFD && (res[i] == "aa") != isOtherCategory(r) {
			diff[0] = append(diff[0], r)
		}
	}
	// punctuation
	pc := pieces(mk(nil, map[string]any{"type": "Punctuation", "behavior": "Removed"}), alone)
	for i, r := range runes {
		if (pc[i] == 0) != isPunctuation(r) {
			diff[1] = append(diff[1], r)
		}
	}
	// nonspacing marks
	res = normalize(mk(map[string]any{"type": "BertNormalizer", "clean_text": false, "handle_chinese_chars": false, "strip_accents": true, "lowercase": false}, nil), alone)
	var it norm.Iter
	for i, r := range runes {
		if d := string(appendNormalized(nil, string(r), norm.NFD, &it)); d != string(r) {
			continue
		}
		if (res[i] == "") != isNonspacingMark(r) {
			diff[2] = append(diff[2], r)
		}
	}
	// combining marks
	res = normalize(mk(map[string]any{"type": "StripAccents"}, nil), alone)
	for i, r := range runes {
		if (res[i] == "") != isCombiningMark(r) {
			diff[3] = append(diff[3], r)
		}
	}
	// word and space (the regex crate's \w and \s, which Whitespace and
	// the added vocabulary use): r alone leaves no piece if it is \s;
	// "a"+r is one piece if r is \w.
	ws := mk(nil, map[string]any{"type": "Whitespace"})
	n1, n2 := pieces(ws, alone), pieces(ws, afterA)
	// char::is_whitespace (WhitespaceSplit, BertPreTokenizer, clean_text,
	// Strip): "a"+r+"a" is two pieces if r is whitespace. isWhiteSpace
	// serves both, so the two tables must agree.
	n3 := pieces(mk(nil, map[string]any{"type": "WhitespaceSplit"}), texts(func(r rune) string { return "a" + string(r) + "a" }))
	// char::is_numeric (Digits): "a"+r is two pieces if r is numeric.
	n4 := pieces(mk(nil, map[string]any{"type": "Digits", "individual_digits": false}), afterA)
	for i, r := range runes {
		space, word := n1[i] == 0, n1[i] == 1 && n2[i] == 1
		if space != (n3[i] == 2) {
			t.Fatalf("U+%04X: the regex crate's \\s (%v) and char::is_whitespace (%v) differ; isWhiteSpace cannot serve both", r, space, n3[i] == 2)
		}
		if word != wordChar(r) {
			diff[4] = append(diff[4], r)
		}
		if space != whiteSpace(r) {
			diff[5] = append(diff[5], r)
		}
		if (n4[i] == 2) != numeric(r) {
			diff[6] = append(diff[6], r)
		}
	}
	scripts := genScriptOverrides(t, runes, mk(nil, map[string]any{"type": "UnicodeScripts"}), pieces)

	var b strings.Builder
	b.WriteString("// Code generated by TestGeneratePropOverrides from the HF library (npm tokenizers); DO NOT EDIT.\n\n")
	b.WriteString("package tokenize\n\n")
	fmt.Fprintf(&b, "// Runes on which the library's character tables disagree with Go's (Unicode %s).\n", unicode.Version)
	b.WriteString("var (\n")
	for k, name := range names {
		fmt.Fprintf(&b, "\t%s = []runeRange{\n", name)
		rs := diff[k]
		for i := 0; i < len(rs); {
			j := i
			for j+1 < len(rs) && rs[j+1] == rs[j]+1 {
				j++
			}
			fmt.Fprintf(&b, "\t\t{0x%04X, 0x%04X},\n", rs[i], rs[j])
			i = j + 1
		}
		b.WriteString("\t}\n")
	}
	b.WriteString(")\n\n// scriptOverrides lists the runes whose script in the library's table\n// differs from Go's (\"\" = no script, Any).\nvar scriptOverrides = []scriptOverride{\n")
	for _, o := range scripts {
		fmt.Fprintf(&b, "\t{0x%04X, 0x%04X, %q},\n", o.lo, o.hi, o.script)
	}
	b.WriteString("}\n")
	src, err := format.Source([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("propoverrides.go", src, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d runes probed; overrides: other %d, punct %d, Mn %d, mark %d, word %d, space %d, numeric %d, script %d ranges",
		len(runes), len(diff[0]), len(diff[1]), len(diff[2]), len(diff[3]), len(diff[4]), len(diff[5]), len(diff[6]), len(scripts))
}

// genScriptOverrides classifies every rune with the library's
// UnicodeScripts and returns the runs where it differs from scriptOf.
func genScriptOverrides(t *testing.T, runes []rune, path string, pieces func(string, []string) []int) []scriptOverride {
	names := map[scriptID]string{}
	for n, id := range scriptIDs {
		if n != "Hiragana" && n != "Katakana" {
			names[id] = n
		}
	}
	latin, han := scriptIDs["Latin"], scriptIDs["Han"]
	probe := func(prefix func(r rune) string, rs []rune) []int {
		texts := make([]string, len(rs))
		for i, r := range rs {
			texts[i] = prefix(r) + string(r)
		}
		return pieces(path, texts)
	}
	p1 := probe(func(rune) string { return "a" }, runes)
	p2 := probe(func(rune) string { return "\u4e00" }, runes)
	const other = scriptID(255)
	hf := make([]scriptID, len(runes))
	for i := range runes {
		switch {
		case p1[i] == 1 && p2[i] == 1:
			hf[i] = 0
		case p1[i] == 1:
			hf[i] = latin
		case p2[i] == 1:
			hf[i] = han
		default:
			hf[i] = other
		}
	}
	// Representatives: the first rune of each Go script that the library
	// puts in some script other than Latin and Han.
	rep := map[scriptID]rune{}
	for i, r := range runes {
		g := scriptOf(r)
		if _, ok := rep[g]; !ok && hf[i] == other && g != latin && g != han && g != 0 {
			rep[g] = r
		}
	}
	// Runes the library puts in another script: same as Go's?
	var idx []int
	for i, r := range runes {
		if hf[i] == other {
			if _, ok := rep[scriptOf(r)]; ok {
				idx = append(idx, i)
			}
		}
	}
	sub := make([]rune, len(idx))
	for k, i := range idx {
		sub[k] = runes[i]
	}
	p3 := probe(func(r rune) string { return string(rep[scriptOf(r)]) }, sub)
	for k, i := range idx {
		if p3[k] == 1 {
			hf[i] = scriptOf(runes[i])
		}
	}
	// The rest: search all representatives.
	reps := slices.Sorted(func(yield func(scriptID) bool) {
		for g := range rep {
			if !yield(g) {
				return
			}
		}
	})
	for i, r := range runes {
		if hf[i] != other {
			continue
		}
		texts := make([]string, len(reps))
		for k, g := range reps {
			texts[k] = string(rep[g]) + string(r)
		}
		res := pieces(path, texts)
		for k, n := range res {
			if n == 1 {
				hf[i] = reps[k]
				break
			}
		}
		if hf[i] == other {
			t.Fatalf("U+%04X: the library gives it a script none of our representatives has", r)
		}
	}
	var out []scriptOverride
	for i, r := range runes {
		if r == ' ' || r == 0x30FC || hf[i] == scriptOf(r) {
			continue
		}
		name := names[hf[i]]
		if n := len(out); n > 0 && out[n-1].hi == r-1 && out[n-1].script == name {
			out[n-1].hi = r
			continue
		}
		out = append(out, scriptOverride{r, r, name})
	}
	return out
}

// isAssigned reports whether r has a general category other than Cn
// (unicode.Categories also holds "Cn", and "C", which includes it).
func isAssigned(r rune) bool {
	for name, t := range unicode.Categories {
		if len(name) == 2 && name != "Cn" && unicode.Is(t, r) {
			return true
		}
	}
	return false
}
