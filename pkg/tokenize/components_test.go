package tokenize

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/internal/tokcorpus"
	"github.com/mlperf-tools/aggregator/internal/tokoracle"
)

// Every normalizer, pre-tokenizer, truncation and padding is checked
// against the HF library on tokenizers the library builds and trains
// itself: for each variant, build.js sets the component through the npm
// API (bertNormalizer, precompiled, punctuationPreTokenizer, setTruncation,
// ...) and trains a BPE on part of the hard corpus with the library's
// trainer; the saved file then gets the byte-fallback alphabet (so every
// normalized byte shows in the ids, and merges, which never cross a
// pre-token, show the pre-token boundaries). Ids must equal the library's
// encodeBatch ids (add_special_tokens=false) on the whole hard corpus,
// and both must fail on the same texts.

// nmtNFKC returns SentencePiece's nmt_nfkc precompiled_charsmap (the one
// T5, ALBERT and XLM-R files carry), from spm_precompiled's test data.
func nmtNFKC(t testing.TB) []byte {
	f, err := os.Open(filepath.Join("testdata", "nmt_nfkc.charsmap.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// buildCharsmap builds a precompiled_charsmap (Darts double array + blob)
// mapping each key to its replacement, for tests of the trie decoder and
// of the grapheme rules.
func buildCharsmap(rules map[string]string) []byte {
	type node struct {
		kids  map[byte]*node
		leaf  bool
		value uint32
	}
	var blob []byte
	root := &node{kids: map[byte]*node{}}
	keys := make([]string, 0, len(rules))
	for k := range rules {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		n := root
		for i := 0; i < len(k); i++ {
			c, ok := n.kids[k[i]]
			if !ok {
				c = &node{kids: map[byte]*node{}}
				n.kids[k[i]] = c
			}
			n = c
		}
		n.leaf, n.value = true, uint32(len(blob))
		blob = append(blob, rules[k]...)
		blob = append(blob, 0)
	}
	var units []uint32
	used := map[uint32]bool{0: true}
	grow := func(n uint32) {
		for uint32(len(units)) < n {
			units = append(units, 0)
		}
	}
	type item struct {
		n   *node
		pos uint32
	}
	queue := []item{{root, 0}}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		labels := slices.Sorted(func(yield func(byte) bool) {
			for c := range it.n.kids {
				if !yield(c) {
					return
				}
			}
		})
		base := uint32(256)
		for ; ; base += 256 {
			ok := !used[base]
			for _, c := range labels {
				ok = ok && !used[base^uint32(c)]
			}
			if ok {
				break
			}
		}
		grow(base + 256)
		used[base] = true
		units[it.pos] |= (it.pos ^ base) << 10
		if it.n.leaf {
			units[base] = it.n.value | 1<<31
		}
		for _, c := range labels {
			q := base ^ uint32(c)
			used[q] = true
			kid := it.n.kids[c]
			units[q] = uint32(c)
			if kid.leaf {
				units[q] |= 1 << 8
			}
			queue = append(queue, item{kid, q})
		}
	}
	out := binary.LittleEndian.AppendUint32(nil, uint32(4*len(units)))
	for _, u := range units {
		out = binary.LittleEndian.AppendUint32(out, u)
	}
	return append(out, blob...)
}

// craftedRules exercises the grapheme rules: short clusters starting with
// a key are replaced whole, and the shortest key wins.
var craftedRules = map[string]string{
	"a": "X", "ab": "Y", "\u2122": "TM", "\u00a0": " ", "\u0958": "Q", "e\u0301": "E", "\u1161": "V",
	"\U0001F1E6": "R", "\uff21": "A", "\x01": "", "\u00e9": "e!",
}

// componentVariant is one tokenizer built by the library.
type componentVariant struct {
	name string
	spec tokoracle.Spec
}

func fn(name string, args ...any) *tokoracle.Call { c := tokoracle.Fn(name, args...); return &c }

func componentVariants(t testing.TB) []componentVariant {
	nmt := tokoracle.Bytes(nmtNFKC(t))
	crafted := tokoracle.Bytes(buildCharsmap(craftedRules))
	bert := func(clean, chinese bool, strip any, lower bool) *tokoracle.Call {
		o := map[string]any{"cleanText": clean, "handleChineseChars": chinese, "lowercase": lower}
		if strip != nil {
			o["stripAccents"] = strip
		}
		return fn("bertNormalizer", o)
	}
	ws := fn("whitespaceSplitPreTokenizer")
	var vs []componentVariant
	add := func(name string, n, p *tokoracle.Call) {
		vs = append(vs, componentVariant{name, tokoracle.Spec{Normalizer: n, PreTokenizer: p}})
	}
	add("bert_default", fn("bertNormalizer"), fn("bertPreTokenizer"))
	add("bert_clean_only", bert(true, false, false, false), ws)
	add("bert_chinese_only", bert(false, true, false, false), ws)
	add("bert_strip_no_lower", bert(false, false, true, false), ws)
	add("bert_lower_strip_null", bert(false, false, nil, true), ws)
	add("bert_lower_no_strip", bert(true, true, false, true), fn("bertPreTokenizer"))
	add("nmt", fn("nmt"), ws)
	add("nmt_nfkc_precompiled_metaspace", fn("sequenceNormalizer", []any{fn("precompiled", nmt), fn("replace", "  ", " ")}),
		fn("metaspacePreTokenizer", "▁", "always", true))
	add("precompiled_metaspace_first", fn("precompiled", nmt), fn("metaspacePreTokenizer", "▁", "first", true))
	add("precompiled_metaspace_never_nosplit", fn("precompiled", nmt), fn("metaspacePreTokenizer", "▁", "never", false))
	add("precompiled_crafted", fn("precompiled", crafted), ws)
	add("bytelevel_normalizer", nil, nil) // not in the npm API: componentJSON sets it
	add("strip_accents_nfkd", fn("sequenceNormalizer", []any{fn("nfkdNormalizer"), fn("stripAccentsNormalizer")}), ws)
	for _, beh := range []string{"removed", "isolated", "mergedWithPrevious", "mergedWithNext", "contiguous"} {
		add("punctuation_"+beh, nil, fn("punctuationPreTokenizer", beh))
	}
	add("whitespace", nil, fn("whitespacePreTokenizer"))
	add("digits_individual", nil, fn("sequencePreTokenizer", []any{ws, fn("digitsPreTokenizer", true)}))
	add("chardelimiter", nil, fn("charDelimiterSplit", "e"))
	add("unicode_scripts", nil, nil) // not in the npm API: componentJSON sets it
	add("fixed_length_3", nil, nil)  // likewise
	for _, inv := range []bool{false, true} {
		for _, beh := range []string{"removed", "isolated", "mergedWithPrevious", "mergedWithNext", "contiguous"} {
			add(fmt.Sprintf("split_%s_%v", beh, inv), nil, fn("splitPreTokenizer", `\s+|[,.]`, beh, inv))
		}
	}
	return vs
}

// componentJSON patches what the npm API cannot set: components it has no
// constructor for are written into the library-built file (the library
// then loads them itself), and every file gets byte fallback.
func componentJSON(t testing.TB, name string, data []byte) []byte {
	var j map[string]any
	if err := json.Unmarshal(data, &j); err != nil {
		t.Fatal(err)
	}
	switch {
	case name == "bytelevel_normalizer":
		j["normalizer"] = map[string]any{"type": "ByteLevel"}
	case name == "unicode_scripts":
		j["pre_tokenizer"] = map[string]any{"type": "UnicodeScripts"}
	case name == "fixed_length_3":
		j["pre_tokenizer"] = map[string]any{"type": "FixedLength", "length": 3}
	}
	m := j["model"].(map[string]any)
	vocab := m["vocab"].(map[string]any)
	for b := range 256 {
		k := fmt.Sprintf("<0x%02X>", b)
		if _, ok := vocab[k]; !ok {
			vocab[k] = len(vocab)
		}
	}
	m["byte_fallback"] = true
	out, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// limitVariants derive truncation and padding variants from a base file.
var limitVariants = []struct {
	name       string
	truncation any
	padding    any
}{
	{"trunc_right_16", map[string]any{"direction": "Right", "max_length": 16, "strategy": "LongestFirst", "stride": 0}, nil},
	{"trunc_left_16_stride", map[string]any{"direction": "Left", "max_length": 16, "strategy": "OnlyFirst", "stride": 4}, nil},
	{"trunc_0", map[string]any{"direction": "Right", "max_length": 0, "strategy": "LongestFirst", "stride": 0}, nil},
	{"trunc_only_second", map[string]any{"direction": "Right", "max_length": 24, "strategy": "OnlySecond", "stride": 0}, nil},
	// stride >= max_length: the library panics (aborting the whole node
	// process) on any text longer than max_length; we fail those texts
	// (TestTruncationStride).
	{"pad_fixed_40", nil, map[string]any{"strategy": map[string]any{"Fixed": 40}, "direction": "Right", "pad_to_multiple_of": nil, "pad_id": 3, "pad_type_id": 0, "pad_token": "[PAD]"}},
	{"pad_fixed_30_multiple_16_left", nil, map[string]any{"strategy": map[string]any{"Fixed": 30}, "direction": "Left", "pad_to_multiple_of": 16, "pad_id": 5, "pad_type_id": 0, "pad_token": "[PAD]"}},
	{"trunc_32_pad_fixed_20", map[string]any{"direction": "Right", "max_length": 32, "strategy": "LongestFirst", "stride": 0},
		map[string]any{"strategy": map[string]any{"Fixed": 20}, "direction": "Right", "pad_to_multiple_of": nil, "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"}},
}

func TestParityComponents(t *testing.T) {
	tokoracle.Differential(t)
	if err := tokoracle.Available(); err != nil {
		t.Skip(err)
	}
	start := time.Now()
	dir := t.TempDir()
	if d := os.Getenv("TOKENIZE_KEEP_COMPONENTS"); d != "" {
		dir = d // keep the built files for a look
	}
	// Training text: prose, code and markup lines of the hard corpus.
	var train strings.Builder
	for _, c := range tokcorpus.Small(tokcorpus.DefaultSeed) {
		if c.Category == "prose" || c.Category == "code" || c.Category == "answers" {
			train.WriteString(c.Text)
			train.WriteByte('\n')
		}
	}
	trainFile := filepath.Join(dir, "train.txt")
	if err := os.WriteFile(trainFile, []byte(train.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	vs := componentVariants(t)
	lvs := limitVariants
	var specs []tokoracle.Spec
	var outs []string
	for i := range vs {
		s := vs[i].spec
		s.Model = tokoracle.Fn("BPE.empty")
		s.Train = []string{trainFile}
		specs = append(specs, s)
		outs = append(outs, filepath.Join(dir, vs[i].name+".built.json"))
	}
	if err := tokoracle.BuildAll(specs, outs); err != nil {
		t.Fatal(err)
	}
	var names, paths []string
	for i, v := range vs {
		data, err := os.ReadFile(outs[i])
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, v.name+".json")
		if err := os.WriteFile(p, componentJSON(t, v.name, data), 0o644); err != nil {
			t.Fatal(err)
		}
		names, paths = append(names, v.name), append(paths, p)
	}
	base, err := os.ReadFile(paths[slices.Index(names, "nmt")])
	if err != nil {
		t.Fatal(err)
	}
	for _, lv := range lvs {
		var j map[string]any
		_ = json.Unmarshal(base, &j)
		j["truncation"], j["padding"] = lv.truncation, lv.padding
		data, _ := json.Marshal(j)
		p := filepath.Join(dir, lv.name+".json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		names, paths = append(names, lv.name), append(paths, p)
	}
	corpus := tokcorpus.Small(tokcorpus.DefaultSeed)
	texts := make([]string, len(corpus))
	for i, c := range corpus {
		texts[i] = c.Text
	}
	want, err := tokoracle.EncodeMany(paths, texts)
	if err != nil {
		t.Fatal(err)
	}
	oracleTime := time.Since(start)
	for k, name := range names {
		t.Run(name, func(t *testing.T) {
			tok, err := LoadFile(paths[k])
			if err != nil {
				t.Fatal(err)
			}
			c := tok.NewCounter()
			bad := 0
			for i, s := range texts {
				got, err := c.Encode(s)
				n := c.Count(s)
				w := want[k][i]
				if w == nil {
					if err == nil || n != -1 {
						bad++
						if bad <= 5 {
							t.Errorf("%s: the library fails on %s, we give %d ids (err %v)", name, corpus[i].Name, len(got), err)
						}
					}
					continue
				}
				if err != nil || !slices.Equal(got, w) || n != len(w) {
					bad++
					if bad <= 5 {
						d := parityFirstDiff(got, w)
						t.Errorf("%s %s (err %v, count %d): %s\n  oracle: %s\n  ours:   %s", name, corpus[i].Name, err, n,
							parityQuote(s), parityWindow(w, d), parityWindow(got, d))
					}
				}
			}
			if bad > 0 {
				t.Errorf("%s: %d of %d texts differ", name, bad, len(texts))
			}
		})
	}
	t.Logf("%d tokenizers × %d texts; oracle %v, total %v", len(paths), len(texts), oracleTime.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// TestPrecompiledCharsmap: the real nmt_nfkc charsmap decodes and answers
// as the crate's own tests pin it; a crafted one round-trips; truncated
// and out-of-range ones are refused.
func TestPrecompiledCharsmap(t *testing.T) {
	p, err := parsePrecompiled(base64.StdEncoding.EncodeToString(nmtNFKC(t)))
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{"\ufb01": "fi", "𝔾": "G", "𝕠": "o", "\u200d": " "} {
		if got, ok := p.transform(in); !ok || got != want {
			t.Errorf("transform(%+q) = %+q, %v; want %+q", in, got, ok, want)
		}
	}
	if _, ok := p.transform(" "); ok {
		t.Errorf("transform(\" \") matched")
	}
	// spm_precompiled's tests: Thai and Hindi clusters, and a 2-character
	// cluster replaced whole by its shortest key.
	for in, want := range map[string]string{
		"เขาไม่ได้พูดสักคำ": "เขาไม\u0e48ได\u0e49พ\u0e39ดส\u0e31กค\u0e4dา",
		"ड़ी दुख":                    "ड\u093cी द\u0941ख",
		"\u0627\u0653":               "\u0622",
		"a\u0301\u2122\u0301 \ufb01": "\u00e1TM fi",
	} {
		if got := string(must(p.apply(nil, in, nil))); got != want {
			t.Errorf("normalize(%+q) = %+q, want %+q", in, got, want)
		}
	}
	c, err := parsePrecompiled(base64.StdEncoding.EncodeToString(buildCharsmap(craftedRules)))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range craftedRules {
		if got, ok := c.transform(k); !ok || (got != v && k != "ab") {
			t.Errorf("crafted transform(%+q) = %+q, %v; want %+q", k, got, ok, v)
		}
	}
	good := buildCharsmap(craftedRules)
	bad := map[string][]byte{
		"header only":   good[:4],
		"cut trie":      good[:len(good)/2],
		"bad utf8 blob": append(slices.Clone(good), 0xff),
		"offset out":    func() []byte { b := slices.Clone(good); binary.LittleEndian.PutUint32(b[4:], 0x3fffff<<10); return b }(),
	}
	for name, b := range bad {
		if _, err := parsePrecompiled(base64.StdEncoding.EncodeToString(b)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if !bytes.Equal(good, buildCharsmap(craftedRules)) {
		t.Errorf("buildCharsmap is not deterministic")
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
