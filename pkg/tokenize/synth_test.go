package tokenize

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/internal/tokoracle"
)

// synthetic tokenizer.json files, one per component variant, checked
// against the oracle and, for the key rules, against fixed expectations.

type synthOpts struct {
	normalizer   any
	preTokenizer any
	added        []map[string]any
	byteFallback bool
	unk          bool
	fuseUnk      bool
	ignoreMerges bool
	pairMerges   bool
	extraVocab   []string
	merges       [][2]string
	byteVocab    bool // the ByteLevel alphabet and a few byte-level merges
}

var synthMerges = [][2]string{
	{"a", "a"}, {"a", "b"}, {"b", "c"}, {"ab", "c"}, {"▁", "a"}, {"▁a", "b"}, {"h", "e"}, {"l", "l"}, {"he", "ll"},
	{"hell", "o"}, {"▁", "hello"}, {"1", "2"}, {"12", "3"}, {"c", "d"}, {"x", "y"}, {"y", "z"}, {"xy", "z"},
	{"▁", "▁"}, {"é", "t"}, {"e", "\u0301"},
}

func synthJSON(o synthOpts) map[string]any {
	vocab := map[string]int{}
	add := func(s string) {
		if _, ok := vocab[s]; !ok {
			vocab[s] = len(vocab)
		}
	}
	add("<unk>")
	for b := range 256 {
		add(fmt.Sprintf("<0x%02X>", b))
	}
	for c := 0x20; c < 0x7f; c++ {
		add(string(rune(c)))
	}
	for _, s := range []string{"▁", "é", "\u0301", "日"} {
		add(s)
	}
	merges := synthMerges
	if o.merges != nil {
		merges = o.merges
	}
	if o.byteVocab {
		for b := range 256 {
			add(bytesCharStr[b])
		}
		merges = append(slices.Clone(merges), [2]string{"Ġ", "h"}, [2]string{"Ġh", "e"}, [2]string{"Ġhe", "ll"}, [2]string{"Ġ", "Ġ"}, [2]string{"Ã", "©"}, [2]string{"Ċ", "Ċ"})
	}
	var ms []any
	for _, m := range merges {
		add(m[0] + m[1])
		if o.pairMerges {
			ms = append(ms, []string{m[0], m[1]})
		} else {
			ms = append(ms, m[0]+" "+m[1])
		}
	}
	for _, s := range o.extraVocab {
		add(s)
	}
	model := map[string]any{
		"type": "BPE", "dropout": nil, "vocab": vocab, "merges": ms,
		"fuse_unk": o.fuseUnk, "byte_fallback": o.byteFallback, "ignore_merges": o.ignoreMerges,
		"continuing_subword_prefix": nil, "end_of_word_suffix": nil, "unk_token": nil,
	}
	if o.unk {
		model["unk_token"] = "<unk>"
	}
	added := []any{}
	for i, a := range o.added {
		t := map[string]any{"id": len(vocab) + i, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
		maps.Copy(t, a)
		added = append(added, t)
	}
	return map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil, "added_tokens": added,
		"normalizer": o.normalizer, "pre_tokenizer": o.preTokenizer, "post_processor": nil, "decoder": nil,
		"model": model,
	}
}

var synthTexts = []string{
	"", "a", "aaa", "aaaa", "abc", "abcabc", "aab", "hello", "hello world", " hello", "hello  ", "Hello World",
	"xyz", "xyzxyz", "123123", "1234", "a b  c   d", "\thello\n", "日本", "日aa日", "é", "e\u0301", "ét", "ñ", "ññx",
	"<s>", "a<s>b", "a <s> b", " <s> ", "  <s>  x", "[CLS]x", "x[CLS]", "x [CLS] y", "<s><s>", "<s> <s>", "▁hello", "a▁▁b",
	"MASK", "xMASKy", " MASK ", "foo\u00a0<s>\u3000bar", "hello<s>", "<s>hello", "ab-cd--ef", "a.b.c", "I'm O'Neil's",
	"  \n  ", "x\u2028y", strings.Repeat("a", 70), strings.Repeat("ab", 40), strings.Repeat("abc ", 30),
}

var synthAdded = []map[string]any{
	{"content": "<s>"},
	{"content": "[CLS]", "lstrip": true, "rstrip": true},
	{"content": "MASK", "single_word": true, "special": false},
	{"content": "Hello", "normalized": true, "special": false},
	{"content": "▁hello", "normalized": true, "special": false},
}

var synthVariants = []struct {
	name string
	o    synthOpts
}{
	{"plain", synthOpts{}},
	{"pairs_unk_fuse", synthOpts{pairMerges: true, unk: true, fuseUnk: true}},
	{"unk_nofuse", synthOpts{unk: true}},
	{"byte_fallback_fuse", synthOpts{byteFallback: true, unk: true, fuseUnk: true}},
	{"ignore_merges", synthOpts{ignoreMerges: true, extraVocab: []string{"aaa", "abcabc"}}},
	{"added", synthOpts{added: synthAdded, unk: true}},
	{"added_llama2_norm", synthOpts{added: synthAdded, byteFallback: true, unk: true, fuseUnk: true,
		normalizer: map[string]any{"type": "Sequence", "normalizers": []any{
			map[string]any{"type": "Prepend", "prepend": "▁"},
			map[string]any{"type": "Replace", "pattern": map[string]any{"String": " "}, "content": "▁"}}}}},
	{"lowercase_nfc_strip", synthOpts{added: synthAdded, unk: true, normalizer: map[string]any{"type": "Sequence", "normalizers": []any{
		map[string]any{"type": "NFC"}, map[string]any{"type": "Lowercase"}, map[string]any{"type": "Strip", "strip_left": true, "strip_right": true}}}}},
	{"nfkd_stripaccents", synthOpts{unk: true, normalizer: map[string]any{"type": "Sequence", "normalizers": []any{
		map[string]any{"type": "NFKD"}, map[string]any{"type": "StripAccents"}}}}},
	{"replace_regex", synthOpts{unk: true, normalizer: map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": "\\s+"}, "content": "▁"}}},
}

func splitPre(pattern map[string]any, behavior string, invert bool) map[string]any {
	return map[string]any{"type": "Split", "pattern": pattern, "behavior": behavior, "invert": invert}
}

func init() {
	for _, beh := range []string{"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"} {
		for _, inv := range []bool{false, true} {
			synthVariants = append(synthVariants, struct {
				name string
				o    synthOpts
			}{fmt.Sprintf("split_%s_%v", beh, inv), synthOpts{unk: true, added: synthAdded,
				preTokenizer: splitPre(map[string]any{"Regex": "\\s+|-"}, beh, inv)}})
		}
	}
	for _, scheme := range []string{"first", "always", "never"} {
		for _, split := range []bool{true, false} {
			synthVariants = append(synthVariants, struct {
				name string
				o    synthOpts
			}{fmt.Sprintf("metaspace_%s_%v", scheme, split), synthOpts{unk: true, added: synthAdded,
				preTokenizer: map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": scheme, "split": split}}})
		}
	}
	more := []struct {
		name string
		pre  any
	}{
		{"split_string_mwp", splitPre(map[string]any{"String": " "}, "MergedWithPrevious", false)},
		{"digits", map[string]any{"type": "Digits", "individual_digits": false}},
		{"digits_individual", map[string]any{"type": "Digits", "individual_digits": true}},
		{"whitespace", map[string]any{"type": "Whitespace"}},
		{"chardelimiter", map[string]any{"type": "CharDelimiterSplit", "delimiter": "-"}},
		{"whitespace_split", map[string]any{"type": "WhitespaceSplit"}},
		{"seq_digits_ws", map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "WhitespaceSplit"}, map[string]any{"type": "Digits", "individual_digits": true}}}},
	}
	for _, m := range more {
		synthVariants = append(synthVariants, struct {
			name string
			o    synthOpts
		}{m.name, synthOpts{unk: true, added: synthAdded, preTokenizer: m.pre}})
	}
}

func init() {
	for _, aps := range []bool{false, true} {
		for _, re := range []bool{false, true} {
			bl := map[string]any{"type": "ByteLevel", "add_prefix_space": aps, "trim_offsets": true, "use_regex": re}
			synthVariants = append(synthVariants, struct {
				name string
				o    synthOpts
			}{fmt.Sprintf("bytelevel_%v_%v", aps, re), synthOpts{byteVocab: true, added: synthAdded, preTokenizer: bl}})
			synthVariants = append(synthVariants, struct {
				name string
				o    synthOpts
			}{fmt.Sprintf("split_bytelevel_%v_%v", aps, re), synthOpts{byteVocab: true, ignoreMerges: true, added: synthAdded,
				preTokenizer: map[string]any{"type": "Sequence", "pretokenizers": []any{
					splitPre(map[string]any{"Regex": "\\p{N}{1,3}"}, "Isolated", false), bl}}}})
		}
	}
}

func TestSyntheticOracle(t *testing.T) {
	tokoracle.Differential(t)
	oracleModules(t)
	for _, v := range synthVariants {
		t.Run(v.name, func(t *testing.T) {
			path := writeTokenizerJSON(t, synthJSON(v.o))
			tok, err := LoadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := oracleEncode(t, path, synthTexts)
			for i, s := range synthTexts {
				if got := tok.Encode(s); !slices.Equal(got, want[i]) {
					t.Errorf("%q: got %v want %v", s, got, want[i])
				}
			}
		})
	}
}

// TestSyntheticGolden pins the key rules without the oracle (expectations
// taken from HF tokenizers 0.23.2).
func TestSyntheticGolden(t *testing.T) {
	cases := []struct {
		variant string
		text    string
		want    string // tokens joined by "|"
	}{
		{"plain", "aaa", "aa|a"},               // tie on rank: leftmost pair first
		{"plain", "aaaa", "aa|aa"},             // "aa" then the pair at 2
		{"plain", "abc", "abc"},                // a+b (rank 1) before b+c (rank 2), then ab+c
		{"plain", "hello", "hello"},            // chain of merges
		{"plain", "ñ", ""},                     // no unk_token, no byte fallback: dropped
		{"unk_nofuse", "ññx", "<unk>|<unk>|x"}, // unk not fused
		{"pairs_unk_fuse", "ññx", "<unk>|x"},   // fused
		{"byte_fallback_fuse", "ñ", "<0xC3>|<0xB1>"},
		{"ignore_merges", "aaa", "aaa"},          // in vocab: one token, no merging
		{"ignore_merges", "aaaa", "aa|aa"},       // not in vocab: merged
		{"added", "a <s> b", "a| |<s>| |b"},      // no strip
		{"added", "x [CLS] y", "x|[CLS]|y"},      // lstrip + rstrip eat the spaces
		{"added", "xMASKy", "x|M|A|S|K|y"},       // single_word inside a word: not a token
		{"added", " MASK ", " |MASK| "},          // single word
		{"added_llama2_norm", "hello", "▁hello"}, // Prepend then merges
		{"added_llama2_norm", "a<s>b", "▁a|<s>|▁|b"},
		{"added_llama2_norm", "Hello", "Hello"},       // normalized=true: matched as normalize("Hello") = "▁Hello"
		{"lowercase_nfc_strip", "  HELLO  ", "Hello"}, // "hello" = normalized "Hello" token
		{"metaspace_first_true", "hello world", "▁hello|▁|w|o|r|l|d"},
		{"metaspace_first_true", "<s>hello", "<s>|hello"}, // not at the start of the text: no prepend
		{"metaspace_always_true", "<s>hello", "<s>|▁hello"},
		{"metaspace_never_false", "a b", "a|▁|b"},
		{"split_MergedWithPrevious_false", "a-b c", "a|-|b| |c"},
	}
	byVariant := map[string]synthOpts{}
	for _, v := range synthVariants {
		byVariant[v.name] = v.o
	}
	for _, c := range cases {
		o, ok := byVariant[c.variant]
		if !ok {
			t.Fatalf("no variant %s", c.variant)
		}
		j := synthJSON(o)
		path := writeTokenizerJSON(t, j)
		tok, err := LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		names := map[int]string{}
		for s, id := range j["model"].(map[string]any)["vocab"].(map[string]int) {
			names[id] = s
		}
		for id, a := range tok.added.byID {
			names[int(id)] = a.content
		}
		var got []string
		for _, id := range tok.Encode(c.text) {
			got = append(got, names[id])
		}
		if g := strings.Join(got, "|"); g != c.want {
			t.Errorf("%s %q: got %q want %q", c.variant, c.text, g, c.want)
		}
	}
}
