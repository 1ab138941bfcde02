package tokenize

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/internal/tokcorpus"
	"github.com/mlperf-tools/aggregator/internal/tokoracle"
)

// The WordPiece, WordLevel and Unigram models are checked against the HF
// library itself: it trains small vocabularies on part of the hard corpus
// with its own trainers (testdata/models.js), the tests derive variants of
// those files (unk handling, byte fallback, ties, legacy files without a
// "type"...), and every variant must give the library's ids on the whole
// hard corpus, and fail exactly where the library's encode fails.

// modelsScript runs testdata/models.js with args and stdin.
func modelsScript(t testing.TB, stdin []byte, args ...string) []byte {
	t.Helper()
	mods := oracleModules(t)
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("node", append([]string{filepath.Join(filepath.Dir(file), "testdata", "models.js")}, args...)...)
	cmd.Env = append(os.Environ(), "ORACLE_NODE_MODULES="+mods)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node models.js %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// trainModels trains the three models on the corpus's prose, code, markup
// and answer lines and returns the directory holding
// {wordpiece,wordlevel,unigram}.json.
func trainModels(t testing.TB) string {
	t.Helper()
	oracleModules(t)
	dir := t.TempDir()
	var b strings.Builder
	for _, c := range tokcorpus.Small(tokcorpus.DefaultSeed) {
		switch c.Category {
		case "prose", "answers", "code", "markup-latex", "json", "contractions":
		default:
			continue
		}
		for _, line := range strings.Split(c.Text, "\n") {
			// The Unigram trainer fails on very long sentences.
			if line = strings.TrimSpace(line); line != "" {
				b.WriteString(clipString300(line))
				b.WriteByte('\n')
			}
		}
	}
	train := filepath.Join(dir, "train.txt")
	if err := os.WriteFile(train, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	modelsScript(t, nil, "train", dir, train)
	return dir
}

func clipString300(s string) string {
	if len(s) <= 300 {
		return s
	}
	i := 300
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i]
}

// modelOracle returns the library's ids of each text, nil where its encode
// fails.
func modelOracle(t testing.TB, path string, texts []string) [][]int {
	t.Helper()
	items := make([]string, len(texts))
	for i, s := range texts {
		items[i] = base64.StdEncoding.EncodeToString([]byte(s))
	}
	req, _ := json.Marshal(map[string]any{"path": path, "items": items})
	var ids [][]int
	if err := json.Unmarshal(modelsScript(t, req, "encode"), &ids); err != nil {
		t.Fatalf("oracle output: %v", err)
	}
	return ids
}

// readJSON reads a tokenizer.json as generic JSON, numbers kept as written.
func readJSON(t testing.TB, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v map[string]any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// corpusTexts is the hard corpus the model parity tests compare on
// (without the ~1 MB texts).
func corpusTexts() []string {
	var texts []string
	for _, c := range tokcorpus.Small(tokcorpus.DefaultSeed) {
		texts = append(texts, c.Text)
	}
	return texts
}

// checkModelParity compares every API of ours with the oracle on texts.
func checkModelParity(t *testing.T, path string, texts []string) {
	t.Helper()
	tok, err := LoadFile(path)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	want := modelOracle(t, path, texts)
	warm, nocache := tok.NewCounter(), tok.NewCounterNoCache()
	bad, failing := 0, 0
	for i, s := range texts {
		if want[i] == nil {
			failing++
		}
		for k, c := range []*Counter{warm, nocache, warm} {
			ids, err := c.Encode(s)
			n := c.Count(s)
			switch {
			case want[i] == nil && (err == nil || n != -1):
				t.Errorf("text %d %+q (counter %d): the library fails, ours gives %v", i, clipString(s), k, ids)
			case want[i] != nil && (err != nil || !slices.Equal(ids, want[i]) || n != len(want[i])):
				t.Errorf("text %d %+q (counter %d):\n got %v (count %d, err %v)\nwant %v", i, clipString(s), k, ids, n, err, want[i])
			default:
				continue
			}
			if bad++; bad > 8 {
				t.Fatal("too many mismatches")
			}
		}
	}
	t.Logf("%d texts, %d on which the library fails", len(texts), failing)
}

// variant writes a modified copy of the tokenizer.json at src.
func variant(t testing.TB, src string, edit func(root, model map[string]any)) string {
	t.Helper()
	root := readJSON(t, src)
	edit(root, root["model"].(map[string]any))
	return writeTokenizerJSON(t, root)
}

// addVocab adds token to a token -> id vocab with the next id.
func addVocab(model map[string]any, token string) {
	v := model["vocab"].(map[string]any)
	if _, ok := v[token]; !ok {
		v[token] = json.Number(strconv.Itoa(len(v)))
	}
}

func TestWordPieceParity(t *testing.T) {
	tokoracle.Differential(t)
	dir := trainModels(t)
	src := filepath.Join(dir, "wordpiece.json")
	texts := corpusTexts()
	cases := map[string]func(root, model map[string]any){
		"trained": func(root, model map[string]any) { addVocab(model, "[UNK]") },
		"max_chars_6": func(root, model map[string]any) {
			addVocab(model, "[UNK]")
			model["max_input_chars_per_word"] = 6
		},
		"prefix_@@_nfkc_lowercase": func(root, model map[string]any) {
			v := map[string]any{}
			for k, id := range model["vocab"].(map[string]any) {
				v[strings.Replace(k, "##", "@@", 1)] = id
			}
			model["vocab"], model["continuing_subword_prefix"] = v, "@@"
			addVocab(model, "<unk>")
			model["unk_token"] = "<unk>"
			root["normalizer"] = map[string]any{"type": "Sequence", "normalizers": []any{
				map[string]any{"type": "NFKC"}, map[string]any{"type": "Lowercase"}}}
		},
		"empty_prefix": func(root, model map[string]any) {
			addVocab(model, "[UNK]")
			model["continuing_subword_prefix"] = ""
		},
		"unk_missing": func(root, model map[string]any) {}, // the library fails on any unknown word
		// BERT's pipelines (bert-base-uncased's and -cased's components, as
		// the library writes them).
		"bert_uncased": func(root, model map[string]any) {
			addVocab(model, "[UNK]")
			root["normalizer"] = map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": true}
			root["pre_tokenizer"] = map[string]any{"type": "BertPreTokenizer"}
		},
		"bert_cased": func(root, model map[string]any) {
			addVocab(model, "[UNK]")
			root["normalizer"] = map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": false, "lowercase": false}
			root["pre_tokenizer"] = map[string]any{"type": "BertPreTokenizer"}
		},
		"legacy_no_type": func(root, model map[string]any) {
			addVocab(model, "[UNK]")
			delete(model, "type")
		},
		"added_tokens": func(root, model map[string]any) {
			addVocab(model, "[UNK]")
			root["added_tokens"] = []any{
				map[string]any{"id": 0, "content": "<|im_start|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
				map[string]any{"id": 0, "content": "the", "single_word": true, "lstrip": false, "rstrip": false, "normalized": true, "special": false},
			}
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			checkModelParity(t, variant(t, src, func(root, model map[string]any) {
				root["pre_tokenizer"] = map[string]any{"type": "WhitespaceSplit"}
				edit(root, model)
			}), texts)
		})
	}
}

func TestWordLevelParity(t *testing.T) {
	tokoracle.Differential(t)
	dir := trainModels(t)
	src := filepath.Join(dir, "wordlevel.json")
	texts := corpusTexts()
	cases := map[string]func(root, model map[string]any){
		"trained": func(root, model map[string]any) {
			addVocab(model, "[UNK]")
			model["unk_token"] = "[UNK]"
		},
		"unk_missing":    func(root, model map[string]any) { model["unk_token"] = "[NOPE]" },
		"legacy_no_type": func(root, model map[string]any) { addVocab(model, "<unk>"); delete(model, "type") },
		"digits_pretok": func(root, model map[string]any) {
			addVocab(model, "<unk>")
			model["unk_token"] = "<unk>"
			root["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
				map[string]any{"type": "WhitespaceSplit"}, map[string]any{"type": "Digits", "individual_digits": true}}}
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) { checkModelParity(t, variant(t, src, edit), texts) })
	}
}

// unigramVocab returns the model's vocab list.
func unigramVocab(model map[string]any) []any { return model["vocab"].([]any) }

func TestUnigramParity(t *testing.T) {
	tokoracle.Differential(t)
	dir := trainModels(t)
	src := filepath.Join(dir, "unigram.json")
	texts := corpusTexts()
	withUnk := func(model map[string]any) {
		// SentencePiece's layout: <unk> first, with score 0.
		model["vocab"] = append([]any{[]any{"<unk>", json.Number("0")}}, unigramVocab(model)...)
		model["unk_id"] = 0
	}
	withBytes := func(model map[string]any, score string) {
		v := unigramVocab(model)
		for b := range 256 {
			v = append(v, []any{fmt.Sprintf("<0x%02X>", b), json.Number(score)})
		}
		model["vocab"] = v
		model["byte_fallback"] = true
	}
	cases := map[string]func(root, model map[string]any){
		"trained": func(root, model map[string]any) { withUnk(model) },
		// Without unk_id the library fails on an unknown character
		// unless a longer piece covers it.
		"no_unk_id": func(root, model map[string]any) {},
		"byte_fallback": func(root, model map[string]any) {
			withUnk(model)
			withBytes(model, "-20")
		},
		// Byte pieces for only some bytes: a fused unknown piece falls
		// back to bytes only if all its bytes have one.
		"byte_fallback_partial": func(root, model map[string]any) {
			withUnk(model)
			v := unigramVocab(model)
			for b := 0; b < 256; b += 3 {
				v = append(v, []any{fmt.Sprintf("<0x%02X>", b), json.Number("-15.5")})
			}
			model["vocab"], model["byte_fallback"] = v, true
		},
		// Scores rounded to a few values: most lattice positions are
		// reached by several paths of equal score.
		"ties": func(root, model map[string]any) {
			withUnk(model)
			for _, e := range unigramVocab(model) {
				p := e.([]any)
				f, _ := p[1].(json.Number).Float64()
				p[1] = json.Number(strconv.FormatFloat(math.Round(f/2)*2, 'f', -1, 64))
			}
		},
		"equal_scores": func(root, model map[string]any) {
			withUnk(model)
			for _, e := range unigramVocab(model) {
				e.([]any)[1] = json.Number("-1")
			}
		},
		// The unk piece is a real token of the trie too ("<unk>" in the
		// text is matched and fused with unknown characters).
		"unk_in_text_duplicates": func(root, model map[string]any) {
			withUnk(model)
			v := unigramVocab(model)
			v = append(v, v[5], []any{"<unk>", json.Number("-3.25")}, []any{"", json.Number("-50")})
			model["vocab"] = v
			model["unk_id"] = 3
		},
		"legacy_no_type_whitespacesplit": func(root, model map[string]any) {
			withUnk(model)
			delete(model, "type")
			root["pre_tokenizer"] = map[string]any{"type": "WhitespaceSplit"}
		},
		// T5's pipeline: SentencePiece's nmt_nfkc charsmap, spaces
		// collapsed, WhitespaceSplit then Metaspace.
		"t5_pipeline": func(root, model map[string]any) {
			withUnk(model)
			root["normalizer"] = map[string]any{"type": "Sequence", "normalizers": []any{
				map[string]any{"type": "Precompiled", "precompiled_charsmap": base64.StdEncoding.EncodeToString(nmtNFKC(t))},
				map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": " {2,}"}, "content": " "}}}
			root["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
				map[string]any{"type": "WhitespaceSplit"},
				map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}}}
		},
		// XLM-R's: the charsmap, then Metaspace alone; with byte fallback
		// pieces as Gemma-style vocabularies have them.
		"xlmr_pipeline_byte_fallback": func(root, model map[string]any) {
			withUnk(model)
			withBytes(model, "-30")
			root["normalizer"] = map[string]any{"type": "Sequence", "normalizers": []any{
				map[string]any{"type": "Precompiled", "precompiled_charsmap": base64.StdEncoding.EncodeToString(nmtNFKC(t))},
				map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": " {2,}"}, "content": " "}}}
			root["pre_tokenizer"] = map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}
		},
		"metaspace_no_split": func(root, model map[string]any) {
			withUnk(model)
			root["pre_tokenizer"] = map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) { checkModelParity(t, variant(t, src, edit), texts) })
	}
}

// TestSerdeFloat: parseSerdeFloat gives the f64 the library reads for a
// score literal. The library's own serialization (shortest round-trip
// form) of a file it loaded shows the value it parsed.
func TestSerdeFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var lits []string
	digits := func(n int) string {
		var b strings.Builder
		b.WriteByte(byte('1' + r.IntN(9)))
		for range n - 1 {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		return b.String()
	}
	for i := 0; i < 400; i++ {
		var s string
		switch i % 8 {
		case 0: // a float32 printed as the shortest f64 (SentencePiece scores)
			s = strconv.FormatFloat(float64(float32(-r.Float64()*20)), 'g', -1, 64)
		case 1:
			s = "-" + digits(1+r.IntN(2)) + "." + digits(14+r.IntN(6))
		case 2:
			s = "-" + digits(22+r.IntN(4)) + "." + digits(3)
		case 3:
			s = "-0.000" + digits(18+r.IntN(5))
		case 4:
			s = "-" + digits(3) + "e-" + strconv.Itoa(r.IntN(330))
		case 5:
			s = "-" + digits(17) + "E" + strconv.Itoa(r.IntN(20))
		case 6:
			s = "-" + digits(1+r.IntN(19))
		default:
			s = strconv.FormatFloat(-r.Float64()*math.Pow(10, float64(r.IntN(30)-15)), 'g', -1, 64)
		}
		lits = append(lits, s)
	}
	lits = append(lits, "-0", "0", "-0.0", "1e-400", "-123456789012345678901234567890.5", "0.1", "-9.812345504760742")
	var b strings.Builder
	b.WriteString(`{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,"pre_tokenizer":null,"post_processor":null,"decoder":null,"model":{"type":"Unigram","unk_id":0,"vocab":[`)
	for i, s := range lits {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `["t%d",%s]`, i, s)
	}
	b.WriteString("]}}")
	path := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	req, _ := json.Marshal(map[string]any{"path": path})
	saved := readJSON(t, writeRaw(t, modelsScript(t, req, "roundtrip")))
	vocab := saved["model"].(map[string]any)["vocab"].([]any)
	differs := 0
	for i, s := range lits {
		libText := string(vocab[i].([]any)[1].(json.Number))
		lib, err := strconv.ParseFloat(libText, 64)
		if err != nil {
			t.Fatalf("%s: library wrote %q", s, libText)
		}
		got, err := parseSerdeFloat([]byte(s))
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if math.Float64bits(got) != math.Float64bits(lib) {
			t.Errorf("%s: ours %v, the library %v", s, got, lib)
		}
		if exact, _ := strconv.ParseFloat(s, 64); exact != lib {
			differs++
		}
	}
	t.Logf("%d literals; on %d the library's value is not the correctly rounded one", len(lits), differs)
}

func writeRaw(t *testing.T, data []byte) string {
	p := filepath.Join(t.TempDir(), "saved.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// BenchmarkCountModels: single-goroutine tokens/s and allocations of the
// WordPiece, WordLevel and Unigram models (trained by the library) on the
// ~4k-token answers, with and without the word cache.
//
//	go test -run '^$' -bench CountModels -benchmem -cpu 1 ./pkg/tokenize/
func BenchmarkCountModels(b *testing.B) {
	dir := trainModels(b)
	texts := answerTexts(8)
	models := map[string]string{
		"wordpiece": variant(b, filepath.Join(dir, "wordpiece.json"), func(root, model map[string]any) { addVocab(model, "[UNK]") }),
		"wordlevel": variant(b, filepath.Join(dir, "wordlevel.json"), func(root, model map[string]any) {
			addVocab(model, "[UNK]")
			model["unk_token"] = "[UNK]"
		}),
		"unigram": variant(b, filepath.Join(dir, "unigram.json"), func(root, model map[string]any) {
			model["vocab"] = append([]any{[]any{"<unk>", json.Number("0")}}, unigramVocab(model)...)
			model["unk_id"] = 0
		}),
	}
	for _, name := range []string{"wordpiece", "wordlevel", "unigram"} {
		tok, err := LoadFile(models[name])
		if err != nil {
			b.Fatal(err)
		}
		benchCounts(b, name, func(*testing.B) *Tokenizer { return tok }, texts)
	}
}
