package tokenize

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/mlperf-tools/aggregator/internal/tokoracle"
	"golang.org/x/text/unicode/norm"
)

// TestMergeShortMatchesHeap: the quadratic scan and HF's heap loop give
// the same tokens on random words over a small alphabet (many ties).
func TestMergeShortMatchesHeap(t *testing.T) {
	j := synthJSON(synthOpts{})
	tok, err := LoadFile(writeTokenizerJSON(t, j))
	if err != nil {
		t.Fatal(err)
	}
	m := tok.model.(*bpeModel)
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "b", "c", "d", "x", "y", "z", "h", "e", "l", "o", "1", "2", "3", "▁"}
	var s1, s2 bpeScratch
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		n := 2 + r.IntN(shortWord)
		for k := 0; k < n; k++ {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		w := b.String()
		m.initSymbols(w, &s1)
		m.initSymbols(w, &s2)
		m.mergeShort(&s1)
		m.mergeHeap(&s2)
		if !slices.Equal(s1.syms, s2.syms) {
			t.Fatalf("%q: short %v heap %v", w, s1.syms, s2.syms)
		}
	}
}

// TestNormalizationLongRuns: NFC/NFKC/NFD of long combining-mark runs
// (beyond x/text's 30-non-starter stream-safe limit) against the oracle;
// byte fallback makes every normalized byte visible in the ids.
func TestNormalizationLongRuns(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	marks := []rune{0x301, 0x300, 0x308, 0x323, 0x327, 0x328, 0x31B, 0x345, 0x334, 0x5B0, 0x5C2, 0x93C, 0x94D, 0x3099, 0x309A, 0x1DC0, 0x20D0, 0x344, 0x340, 0x0F73}
	bases := []rune{'a', 'e', 'o', 'u', 's', 'A', 0x3C9, 0x3B1, 0x304B, 0x1100, 0xAC00, 0x915, 0x5D0, 0x1E63, 0xE9, ' '}
	var texts []string
	for i := 0; i < 150; i++ {
		var b strings.Builder
		for k := 0; k < 1+r.IntN(3); k++ {
			b.WriteRune(bases[r.IntN(len(bases))])
			n := r.IntN(70)
			if i%3 == 0 {
				n = r.IntN(6)
			}
			for m := 0; m < n; m++ {
				b.WriteRune(marks[r.IntN(len(marks))])
			}
		}
		texts = append(texts, b.String())
	}
	texts = append(texts, "a"+strings.Repeat("\u0301", 31), "a"+strings.Repeat("\u0323", 29)+"\u0301\u0323", "\u1100\u1161\u11a8"+strings.Repeat("\u0301", 40))
	for _, form := range []string{"NFC", "NFKC", "NFD", "NFKD"} {
		t.Run(form, func(t *testing.T) {
			path := writeTokenizerJSON(t, synthJSON(synthOpts{byteFallback: true, normalizer: map[string]any{"type": form}}))
			tok, err := LoadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := oracleEncode(t, path, texts)
			for i, s := range texts {
				if got := tok.Encode(s); !slices.Equal(got, want[i]) {
					t.Errorf("%+q:\n got %v\nwant %v", s, got, want[i])
				}
			}
		})
	}
}

// TestNFCNoCGJ checks the exact NFC without the oracle: no U+034F is
// inserted and marks are canonically ordered across the 30-mark limit.
func TestNFCNoCGJ(t *testing.T) {
	in := "a" + strings.Repeat("\u0301", 31) + "\u0323"
	var it norm.Iter
	got := string(appendNormalized(nil, in, norm.NFC, &it))
	if strings.ContainsRune(got, 0x34F) {
		t.Fatalf("CGJ inserted: %+q", got)
	}
	want := "\u1ea1" + strings.Repeat("\u0301", 31) // a+dot below composes once reordered first
	if got != want {
		t.Fatalf("got %+q want %+q", got, want)
	}
}

// TestHangulCompatibilityJamo pins issue 10's case without the oracle
// (outputs of HF tokenizers 0.23.2's normalizeString): compatibility jamo
// decompose to conjoining jamo that must then compose into syllables.
func TestHangulCompatibilityJamo(t *testing.T) {
	cases := []struct {
		form     norm.Form
		in, want string
	}{
		{norm.NFKC, "ㄱㅏ", "\uAC00"},
		{norm.NFKC, "ㄱㅏㄳ", "\uAC03"},          // LV + compatibility T
		{norm.NFKC, "ㄱㅏㄱ", "\uAC00\u1100"},    // ㄱ is a leading jamo: no LVT
		{norm.NFKC, "\uFFA1\uFFC2", "\uAC00"}, // halfwidth
		{norm.NFKD, "ㄱㅏ", "\u1100\u1161"},
		{norm.NFC, "ㄱㅏ", "ㄱㅏ"}, // canonical forms leave compatibility jamo alone
	}
	for _, c := range cases {
		var it norm.Iter
		if got := string(appendNormalized(nil, c.in, c.form, &it)); got != c.want {
			t.Errorf("%v %+q: got %+q want %+q", c.form, c.in, got, c.want)
		}
	}
	path := writeTokenizerJSON(t, synthJSON(synthOpts{byteFallback: true, extraVocab: []string{"\uAC00"},
		normalizer: map[string]any{"type": "NFKC"}}))
	tok, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := tok.Count("ㄱㅏ"); n != 1 {
		t.Errorf("NFKC tokenizer counts ㄱㅏ as %d tokens, want 1 (가)", n)
	}
}

// TestInvalidUTF8 checks the documented lossy decoding against Node's
// WHATWG decoder, which is the oracle's input path.
func TestInvalidUTF8(t *testing.T) {
	cases := map[string]string{
		"\xff":             "\ufffd",
		"a\xc3\x28b":       "a\ufffd(b",
		"\xe2\x82":         "\ufffd",
		"\xe2\x82x":        "\ufffdx",
		"\xf0\x9f\x98":     "\ufffd",
		"\xed\xa0\x80":     "\ufffd\ufffd\ufffd",
		"\xf4\x90\x80\x80": "\ufffd\ufffd\ufffd\ufffd",
		"\xc0\xaf":         "\ufffd\ufffd",
		"\xe0\x80\x80":     "\ufffd\ufffd\ufffd",
		"\xf0\x80":         "\ufffd\ufffd",
	}
	for in, want := range cases {
		if got := string(appendLossy(nil, in)); got != want {
			t.Errorf("%+q: got %+q want %+q", in, got, want)
		}
	}
	dir := modelDir(t, "llama3")
	tok, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(8, 9))
	var texts []string
	for range 100 {
		b := make([]byte, 1+r.IntN(24))
		for i := range b {
			b[i] = []byte{0x80, 0xBF, 0xC2, 0xC3, 0xE0, 0xE2, 0xED, 0xF0, 0xF4, 0xF5, 0xFF, 'a', ' ', 0x82, 0x9F, 0xA0}[r.IntN(16)]
		}
		texts = append(texts, string(b))
	}
	want := oracleEncode(t, filepath.Join(dir, "tokenizer.json"), texts)
	for i, s := range texts {
		if utf8.ValidString(s) {
			continue
		}
		if got := tok.Encode(s); !slices.Equal(got, want[i]) {
			t.Errorf("%+q: got %v want %v", s, got, want[i])
		}
	}
}

// TestLoaderRefuses: unsupported components are refused with their name.
func TestLoaderRefuses(t *testing.T) {
	base := func() map[string]any { return synthJSON(synthOpts{}) }
	cases := []struct {
		name   string
		mutate func(j map[string]any)
		want   string
	}{
		{"pretok", func(j map[string]any) { j["pre_tokenizer"] = map[string]any{"type": "Mystery"} }, `unsupported pre_tokenizer "Mystery"`},
		{"punct_behavior", func(j map[string]any) {
			j["pre_tokenizer"] = map[string]any{"type": "Punctuation", "behavior": "Sideways"}
		}, `unknown behavior "Sideways"`},
		{"fixed_length_0", func(j map[string]any) { j["pre_tokenizer"] = map[string]any{"type": "FixedLength", "length": 0} }, `FixedLength with length 0`},
		{"normalizer", func(j map[string]any) { j["normalizer"] = map[string]any{"type": "Mystery"} }, `unsupported normalizer "Mystery"`},
		{"precompiled_missing", func(j map[string]any) { j["normalizer"] = map[string]any{"type": "Precompiled"} }, `normalizer Precompiled: missing precompiled_charsmap`},
		{"precompiled_base64", func(j map[string]any) {
			j["normalizer"] = map[string]any{"type": "Precompiled", "precompiled_charsmap": "!!"}
		}, `normalizer Precompiled: precompiled_charsmap: illegal base64`},
		{"precompiled_short", func(j map[string]any) {
			j["normalizer"] = map[string]any{"type": "Precompiled", "precompiled_charsmap": "AAEAAA=="} // a 256-byte trie, no units
		}, `trie of 256 bytes but only 0 follow`},
		{"bert_missing_field", func(j map[string]any) {
			j["normalizer"] = map[string]any{"type": "Bert", "clean_text": true, "lowercase": true}
		}, `normalizer Bert: missing field "handle_chinese_chars"`},
		{"bert_norm", func(j map[string]any) { j["normalizer"] = map[string]any{"type": "BertNormaliser"} }, `unsupported normalizer "BertNormaliser"`},
		{"unknown_model", func(j map[string]any) { j["model"].(map[string]any)["type"] = "SentencePieceBPE" }, `unsupported model "SentencePieceBPE"`},
		{"wordpiece_fields", func(j map[string]any) { j["model"].(map[string]any)["type"] = "WordPiece" }, `parse WordPiece model: model.continuing_subword_prefix: null`},
		{"unigram_unk_id", func(j map[string]any) { j["model"] = map[string]any{"type": "Unigram", "vocab": []any{}, "unk_id": 0} }, `the vocabulary is empty but at least <unk> is needed`},
		{"unigram_score", func(j map[string]any) {
			j["model"] = map[string]any{"type": "Unigram", "vocab": []any{[]any{"a", "x"}}}
		}, `parse Unigram model: model.vocab`},
		{"dropout", func(j map[string]any) { j["model"].(map[string]any)["dropout"] = 0.1 }, "BPE dropout not supported"},
		{"truncation", func(j map[string]any) { j["truncation"] = map[string]any{"max_length": 512} }, "truncation: max_length, strategy and stride are required"},
		{"truncation_strategy", func(j map[string]any) {
			j["truncation"] = map[string]any{"max_length": 512, "stride": 0, "strategy": "Shortest"}
		}, `truncation: unknown strategy "Shortest"`},
		{"padding", func(j map[string]any) {
			j["padding"] = map[string]any{"strategy": "BatchLongest", "direction": "Right", "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"}
		}, "unsupported padding strategy BatchLongest"},
		{"post", func(j map[string]any) { j["post_processor"] = map[string]any{"type": "Mystery"} }, `unsupported post_processor "Mystery"`},
		{"bytelevel_not_last", func(j map[string]any) {
			j["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
				map[string]any{"type": "ByteLevel", "add_prefix_space": false}, map[string]any{"type": "Digits", "individual_digits": true}}}
		}, "ByteLevel followed by other pre-tokenizers"},
		{"bad_merge", func(j map[string]any) {
			m := j["model"].(map[string]any)
			m["merges"] = append(m["merges"].([]any), "q ~~")
		}, "not in vocab"},
		{"unk_missing", func(j map[string]any) { j["model"].(map[string]any)["unk_token"] = "<nope>" }, "unk_token"},
		{"version", func(j map[string]any) { j["version"] = "2.0" }, "unknown tokenizer version"},
		{"metaspace_first_after_prepend", func(j map[string]any) {
			j["normalizer"] = map[string]any{"type": "Prepend", "prepend": "▁"}
			j["pre_tokenizer"] = map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true}
		}, "Metaspace prepend_scheme"},
	}
	for _, c := range cases {
		j := base()
		c.mutate(j)
		_, err := LoadFile(writeTokenizerJSON(t, j))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

// TestConcurrentCount: Tokenizer.Count from many goroutines (run with
// -race) gives the same counts as a single Counter.
func TestConcurrentCount(t *testing.T) {
	dir := modelDir(t, "deepseek_v3")
	tok, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	texts := answerTexts(4)
	texts = append(texts, parityCorpus(tok, 2)[:60]...)
	c := tok.NewCounterNoCache()
	want := make([]int, len(texts))
	for i, s := range texts {
		want[i] = c.Count(s)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 3 * len(texts) {
				i := (k + g*7) % len(texts)
				if n := tok.Count(texts[i]); n != want[i] {
					t.Errorf("text %d: %d want %d", i, n, want[i])
					return
				}
			}
			got := tok.CountBatch(texts, nil)
			if !slices.Equal(got, want) {
				t.Errorf("CountBatch differs")
			}
		}()
	}
	wg.Wait()
}

// TestCountNoAllocs: a warmed Counter allocates nothing per text.
func TestCountNoAllocs(t *testing.T) {
	tokoracle.NonRace(t, "the race detector allocates")
	for _, name := range []string{"deepseek_v3", "llama2", "qwen3", "demo"} {
		tok, err := LoadDir(modelDir(t, name))
		if err != nil {
			t.Fatal(err)
		}
		texts := answerTexts(2)
		for _, c := range []*Counter{tok.NewCounter(), tok.NewCounterNoCache()} {
			for _, s := range texts {
				c.Count(s)
			}
			if a := testing.AllocsPerRun(5, func() { c.Count(texts[1]) }); a != 0 {
				t.Errorf("%s: %v allocs per Count", name, a)
			}
		}
	}
}

// TestConfigAndIdentity: tokenizer_config.json forms and the identity.
func TestConfigAndIdentity(t *testing.T) {
	dir := modelDir(t, "deepseek_v3")
	tok, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := tok.Config()
	if cfg.BOSToken == nil || !cfg.BOSToken.Dict || cfg.BOSToken.Content != "<｜begin▁of▁sentence｜>" {
		t.Errorf("bos_token %+v", cfg.BOSToken)
	}
	if cfg.AddBOSToken == nil || !*cfg.AddBOSToken {
		t.Errorf("add_bos_token %v", cfg.AddBOSToken)
	}
	if !strings.HasPrefix(tok.Identity(), "sha256:") || len(tok.Identity()) != 7+64 {
		t.Errorf("identity %q", tok.Identity())
	}
	c, err := ParseConfig([]byte(`{"chat_template": [{"name": "default", "template": "T"}, {"name": "tool_use", "template": "U"}], "eos_token": "</s>", "pad_token": null}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.ChatTemplate != "T" || c.ChatTemplates["tool_use"] != "U" || c.EOSToken.Content != "</s>" || c.EOSToken.Dict || c.PADToken != nil {
		t.Errorf("config %+v", c)
	}
	tmp := t.TempDir()
	data, _ := os.ReadFile(filepath.Join(modelDir(t, "llama2"), "tokenizer.json"))
	_ = os.WriteFile(filepath.Join(tmp, "tokenizer.json"), data, 0o644)
	tok2, err := LoadDir(tmp) // no tokenizer_config.json: fine
	if err != nil || tok2.Config() == nil {
		t.Fatalf("LoadDir without config: %v", err)
	}
}
