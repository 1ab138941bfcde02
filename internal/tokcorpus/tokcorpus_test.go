package tokcorpus

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDeterministic(t *testing.T) {
	a, b := Generate(DefaultSeed), Generate(DefaultSeed)
	if len(a) != len(b) {
		t.Fatalf("two runs gave %d and %d texts", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("text %d differs between runs: %q", i, a[i].Name)
		}
	}
	c := Small(DefaultSeed + 1)
	same := 0
	for i := range c {
		if i < len(a) && c[i].Text == a[i].Text {
			same++
		}
	}
	if same == len(c) {
		t.Fatal("a different seed gave the same corpus")
	}
}

// TestStable pins a few texts so that an accidental change of the generator
// (which invalidates the committed expected counts) is noticed here first.
func TestStable(t *testing.T) {
	small := Small(DefaultSeed)
	if got := small[0]; got.Name != "prose/0000-en-sentence" || got.Text != prose["en"][0] {
		t.Errorf("first text = %q %q", got.Name, got.Text)
	}
	if len(small) < 2000 || len(small) > 3500 {
		t.Errorf("small corpus has %d texts, want about 2,000-3,000", len(small))
	}
}

func TestValidAndDistinct(t *testing.T) {
	names := map[string]bool{}
	texts := map[string]string{}
	for _, x := range Generate(DefaultSeed) {
		if !utf8.ValidString(x.Text) {
			t.Errorf("%s: invalid UTF-8", x.Name)
		}
		if names[x.Name] {
			t.Errorf("duplicate name %s", x.Name)
		}
		names[x.Name] = true
		if prev, ok := texts[x.Text]; ok {
			t.Errorf("%s repeats the text of %s", x.Name, prev)
		}
		texts[x.Text] = x.Name
		if !strings.HasPrefix(x.Name, x.Category+"/") {
			t.Errorf("%s: name does not start with category %s", x.Name, x.Category)
		}
	}
}

func TestCoverage(t *testing.T) {
	all := Generate(DefaultSeed)
	stats := map[string]CategoryStats{}
	for _, c := range Categories(all) {
		stats[c.Category] = c
	}
	for _, g := range generators {
		if stats[g.name].Texts < 20 {
			t.Errorf("category %s has %d texts, want >= 20", g.name, stats[g.name].Texts)
		}
	}
	large := Large(DefaultSeed)
	if len(large) != 3 {
		t.Fatalf("%d large texts, want 3", len(large))
	}
	for _, l := range large {
		if n := len(l.Text); n < 700<<10 || n > 1500<<10 {
			t.Errorf("%s: %d bytes, want about 1 MB", l.Name, n)
		}
	}
	joined := func(cat string) string {
		var b strings.Builder
		for _, x := range all {
			if x.Category == cat {
				b.WriteString(x.Text)
			}
		}
		return b.String()
	}
	must := map[string][]string{
		"special-tokens": {"<|begin_of_text|>", "<｜end▁of▁sentence｜>", "<|im_start|>", "<start_of_turn>", "<|begin_of", "<|im_start "},
		"contractions":   {"'s", "'S", "'Re", "I'M", "don't", "DON'T", "y'all", "’"},
		"whitespace":     {"\r\n", "\n\n\n", "\u00a0", "\u3000", "\u2028", "\u2029", "\u200b", "\u0085", "\t"},
		"digits":         {"٣", "४", "０", strings.Repeat("0123456789", 1)[:1]},
		"combining":      {"e\u0301", "\u1100\u1161"},
		"emoji":          {"\u200d", "\U0001F3FD", "🇯🇵"},
		"cjk":            {"\u9fa5", "\u9fa6"},
	}
	// demo is not in specialModels: its tokens must be there through others.
	must["special-tokens"] = append(must["special-tokens"], SpecialTokens["demo"]...)
	for cat, subs := range must {
		text := joined(cat)
		for _, s := range subs {
			if !strings.Contains(text, s) {
				t.Errorf("category %s lacks %q", cat, s)
			}
		}
	}
	// More than 30 combining marks on one base.
	found := false
	for _, x := range all {
		if x.Category == "combining" && maxMarkRun(x.Text) > 30 {
			found = true
		}
	}
	if !found {
		t.Error("no combining-mark run longer than 30")
	}
}

func maxMarkRun(s string) int {
	best, run := 0, 0
	for _, c := range s {
		if c >= 0x0300 && c <= 0x036F || c >= 0x1DC0 && c <= 0x1DFF || c >= 0x20D0 && c <= 0x20FF || c >= 0xFE20 && c <= 0xFE2F {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

func TestAnswers4k(t *testing.T) {
	a := Answers4k(3)
	if len(a) != 3 {
		t.Fatalf("got %d answers", len(a))
	}
	for i, s := range a {
		// ~4 bytes per token for this English-heavy mix.
		if len(s) < 15000 || len(s) > 20000 {
			t.Errorf("answer %d: %d bytes, want ~16.5 KB (~4k tokens)", i, len(s))
		}
		if i > 0 && s == a[i-1] {
			t.Errorf("answer %d repeats answer %d", i, i-1)
		}
	}
	if b := Answers4k(1); b[0] != a[0] {
		t.Error("Answers4k is not deterministic")
	}
}

func TestKey(t *testing.T) {
	if Key("a") == Key("b") || len(Key("")) != 16 {
		t.Errorf("Key: %q %q %q", Key("a"), Key("b"), Key(""))
	}
}
