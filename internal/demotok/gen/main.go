// Command gen makes the demo tokenizer of package demotok: it writes a
// deterministic training text, has the Hugging Face tokenizers library
// (npm, scripts/tokenizer-oracle) train a byte-level BPE on it with its own
// trainer, and writes tokenizer.json and tokenizer_config.json.
//
//	go generate ./internal/demotok      (= go run ./internal/demotok/gen -out internal/demotok/model)
//
// Running it twice gives byte-identical files; TestGeneratedFilesCurrent
// checks that the committed files are what it makes.
//
// Steps:
//  1. The training text: categories of the parity corpus (internal/tokcorpus)
//     that look like what a model reads and writes (prose in 25 languages,
//     code, JSON, markdown, numbers, URLs, emoji, LLM-style answers) for a
//     few seeds, plus one line holding every byte valid UTF-8 can contain,
//     so that the vocabulary covers every text byte by byte.
//  2. A skeleton tokenizer.json: a BPE without vocabulary behind Llama-3's
//     pre-tokenizer (its Split regex verbatim, which pkg/tokenize/pretok
//     scans by hand, then ByteLevel), with the ByteLevel post-processor and
//     decoder. The npm API cannot construct a Regex Split or a ByteLevel
//     decoder, so the library loads them from this file.
//  3. The library trains the BPE with its default trainer (the only one
//     its Node binding offers: vocab_size 30000, min_frequency 0).
//  4. The vocabulary is cut to VocabSize: the first VocabSize ids and the
//     merges that make them. The trainer adds one token per merge, in merge
//     order, and stops when the vocabulary is full, so this prefix is what
//     the trainer makes with vocab_size = VocabSize. The library rebuilds the
//     model from it (BPE.init), adds the special tokens after it (ids
//     VocabSize…) and saves the final tokenizer.json itself.
//  5. tokenizer_config.json: the special tokens, added_tokens_decoder as
//     transformers writes it, and the chat template (chat_template.jinja).
package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mlperf-tools/aggregator/internal/tokcorpus"
	"github.com/mlperf-tools/aggregator/internal/tokoracle"
	"github.com/mlperf-tools/aggregator/pkg/tokenize/pretok"
)

// VocabSize is the number of BPE tokens kept from the trainer (the byte
// alphabet included); the special tokens follow.
const VocabSize = 16000

// trainSeeds are the tokcorpus seeds of the training text: not
// tokcorpus.DefaultSeed, the parity corpus the tokenizer is checked on, nor
// tokcorpus.Answers4k, the texts its speed is measured on.
var trainSeeds = []uint64{1, 2, 3, 4, 5, 6}

// trainCategories are the tokcorpus categories the training text draws
// from: text a model reads and writes, not the corpus's adversarial
// categories (class boundaries, Unicode edge cases, whitespace runs,
// special-token strings).
var trainCategories = map[string]bool{
	"prose": true, "code": true, "json": true, "cjk": true, "rtl-indic-thai": true,
	"emoji": true, "digits": true, "url-email-path": true, "contractions": true,
	"markdown-latex": true, "answers": true,
}

// Special tokens: ChatML turn markers, a Llama-3-style BOS and the
// reasoning and tool-call tags, all strings the parity corpus already
// holds (tokcorpus.SpecialTokens["demo"]).
const (
	bosToken = "<|begin_of_text|>"
	eosToken = "<|im_end|>"
	padToken = "<|endoftext|>"
)

// addedTokens are added after the BPE vocabulary, in this order.
var addedTokens = []tokoracle.AddedToken{
	{Content: bosToken, Special: true},
	{Content: padToken, Special: true},
	{Content: "<|im_start|>", Special: true},
	{Content: eosToken, Special: true},
	{Content: "<think>", Options: map[string]any{"normalized": false}},
	{Content: "</think>", Options: map[string]any{"normalized": false}},
	{Content: "<tool_call>", Options: map[string]any{"normalized": false}},
	{Content: "</tool_call>", Options: map[string]any{"normalized": false}},
}

//go:embed chat_template.jinja
var chatTemplate string

func main() {
	out := flag.String("out", "model", "directory to write tokenizer.json and tokenizer_config.json to")
	flag.Parse()
	if err := Generate(*out); err != nil {
		fmt.Fprintln(os.Stderr, "demotok gen:", err)
		os.Exit(1)
	}
}

// Generate writes tokenizer.json and tokenizer_config.json into dir
// (created if needed).
func Generate(dir string) error {
	if err := tokoracle.Available(); err != nil {
		return err
	}
	dir, err := filepath.Abs(dir) // the library runs in the oracle's directory
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "demotok-gen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	text := filepath.Join(work, "train.txt")
	train := TrainingText()
	if err := os.WriteFile(text, train, 0o644); err != nil {
		return err
	}
	skeleton := filepath.Join(work, "skeleton.json")
	if err := os.WriteFile(skeleton, skeletonJSON(), 0o644); err != nil {
		return err
	}
	trained := filepath.Join(work, "trained.json")
	if err := tokoracle.Build(tokoracle.Spec{Base: skeleton, Train: []string{text}}, trained); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	vocab, merges, trainedSize, err := cutVocab(trained, VocabSize)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "demotok gen: training text %d bytes; the trainer made %d tokens; kept %d tokens and %d merges\n",
		len(train), trainedSize, len(vocab), len(merges))
	tokPath := filepath.Join(dir, "tokenizer.json")
	spec := tokoracle.Spec{
		Base:        trained,
		Model:       tokoracle.Fn("BPE.init", vocab, merges),
		AddedTokens: addedTokens,
	}
	if err := tokoracle.Build(spec, tokPath); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	cfg, err := configJSON(tokPath)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), cfg, 0o644)
}

// TrainingText returns the training text: deterministic, valid UTF-8,
// one text per line group.
func TrainingText() []byte {
	var b strings.Builder
	for _, seed := range trainSeeds {
		for _, t := range tokcorpus.Small(seed) {
			if trainCategories[t.Category] {
				b.WriteString(t.Text)
				b.WriteByte('\n')
			}
		}
	}
	b.WriteString(byteLine())
	b.WriteByte('\n')
	return []byte(b.String())
}

// byteLine returns characters whose UTF-8 encodings hold every byte valid
// UTF-8 can contain (all but C0, C1 and F5–FF): ASCII, U+0080–U+00BF (every
// continuation byte) and one character per lead byte C3–F4, space
// separated so the pre-tokenizer keeps them apart.
func byteLine() string {
	var rs []rune
	for r := rune(0); r < 0x80; r++ {
		if r != '\n' {
			rs = append(rs, r)
		}
	}
	for r := rune(0x80); r < 0xC0; r++ {
		rs = append(rs, r)
	}
	for lead := 0xC3; lead <= 0xDF; lead++ {
		rs = append(rs, rune(lead-0xC0)<<6)
	}
	for lead := 0xE0; lead <= 0xEF; lead++ {
		r := rune(lead-0xE0) << 12
		switch lead {
		case 0xE0:
			r = 0x800 // E0 A0 80: the smallest three-byte form
		case 0xED:
			r = 0xD000 // ED 80 80, below the surrogates
		}
		rs = append(rs, r)
	}
	for lead := 0xF0; lead <= 0xF4; lead++ {
		r := rune(lead-0xF0) << 18
		if lead == 0xF0 {
			r = 0x10000
		}
		rs = append(rs, r)
	}
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// skeletonJSON is the tokenizer.json the library starts from: an empty
// BPE behind Llama-3's pre-tokenizer, with ByteLevel post-processing and
// decoding.
func skeletonJSON() []byte {
	byteLevel := func(trimOffsets bool) map[string]any {
		return map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": trimOffsets, "use_regex": false}
	}
	s := map[string]any{
		"version":    "1.0",
		"truncation": nil,
		"padding":    nil,
		"normalizer": nil,
		"pre_tokenizer": map[string]any{
			"type": "Sequence",
			"pretokenizers": []any{
				map[string]any{"type": "Split", "pattern": map[string]any{"Regex": pretok.Llama3Pattern}, "behavior": "Isolated", "invert": false},
				byteLevel(true),
			},
		},
		"post_processor": byteLevel(false),
		"decoder":        byteLevel(false),
		"model":          map[string]any{"type": "BPE", "vocab": map[string]any{}, "merges": []any{}},
	}
	out, err := json.Marshal(s)
	if err != nil {
		panic(err) // static data
	}
	return out
}

// cutVocab reads the trained tokenizer.json and returns its first n
// vocabulary entries and the merges that make them: the merge list up to
// the first merge whose token has an id >= n. trained is the size of the
// trainer's vocabulary.
func cutVocab(path string, n int) (vocab map[string]int, merges [][2]string, trained int, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, 0, err
	}
	var f struct {
		Model struct {
			Vocab  map[string]int `json:"vocab"`
			Merges [][2]string    `json:"merges"`
		} `json:"model"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	if len(f.Model.Vocab) < n {
		return nil, nil, 0, fmt.Errorf("the trainer made %d tokens, fewer than the %d wanted: the training text is too small", len(f.Model.Vocab), n)
	}
	vocab = make(map[string]int, n)
	for tok, id := range f.Model.Vocab {
		if id < n {
			vocab[tok] = id
		}
	}
	if len(vocab) != n {
		return nil, nil, 0, errors.New("the trained vocabulary's ids are not 0…n-1")
	}
	for _, m := range f.Model.Merges {
		id, ok := f.Model.Vocab[m[0]+m[1]]
		if !ok {
			return nil, nil, 0, fmt.Errorf("merge %q %q makes no vocabulary token", m[0], m[1])
		}
		if id >= n {
			break
		}
		merges = append(merges, m)
	}
	return vocab, merges, len(f.Model.Vocab), nil
}

// tokenizerConfig is tokenizer_config.json, in the key order transformers
// writes.
type tokenizerConfig struct {
	AddBOSToken               bool               `json:"add_bos_token"`
	AddEOSToken               bool               `json:"add_eos_token"`
	AddedTokensDecoder        orderedAddedTokens `json:"added_tokens_decoder"`
	BOSToken                  string             `json:"bos_token"`
	ChatTemplate              string             `json:"chat_template"`
	CleanUpTokenizationSpaces bool               `json:"clean_up_tokenization_spaces"`
	EOSToken                  string             `json:"eos_token"`
	ModelMaxLength            int                `json:"model_max_length"`
	PadToken                  string             `json:"pad_token"`
	TokenizerClass            string             `json:"tokenizer_class"`
	UnkToken                  *string            `json:"unk_token"`
}

// addedTokenEntry is one added_tokens_decoder value.
type addedTokenEntry struct {
	id         int
	Content    string `json:"content"`
	Lstrip     bool   `json:"lstrip"`
	Normalized bool   `json:"normalized"`
	Rstrip     bool   `json:"rstrip"`
	SingleWord bool   `json:"single_word"`
	Special    bool   `json:"special"`
}

// orderedAddedTokens marshals as an object keyed by id, in id order.
type orderedAddedTokens []addedTokenEntry

// MarshalJSON implements json.Marshaler.
func (o orderedAddedTokens) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, e := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, strconv.Itoa(e.id))
		b = append(b, ':')
		v, err := marshal(e, "")
		if err != nil {
			return nil, err
		}
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

// marshal is json.Marshal without HTML escaping (the file holds "<think>",
// not "\u003cthink\u003e", as transformers writes it), indented by indent
// when not empty, without a trailing newline.
func marshal(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// configJSON builds tokenizer_config.json from the added tokens of the
// library-written tokenizer.json at tokPath.
func configJSON(tokPath string) ([]byte, error) {
	data, err := os.ReadFile(tokPath)
	if err != nil {
		return nil, err
	}
	var f struct {
		AddedTokens []struct {
			ID         int    `json:"id"`
			Content    string `json:"content"`
			SingleWord bool   `json:"single_word"`
			Lstrip     bool   `json:"lstrip"`
			Rstrip     bool   `json:"rstrip"`
			Normalized bool   `json:"normalized"`
			Special    bool   `json:"special"`
		} `json:"added_tokens"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", tokPath, err)
	}
	if len(f.AddedTokens) != len(addedTokens) {
		return nil, fmt.Errorf("%s has %d added tokens, want %d", tokPath, len(f.AddedTokens), len(addedTokens))
	}
	cfg := tokenizerConfig{
		BOSToken:       bosToken,
		ChatTemplate:   chatTemplate,
		EOSToken:       eosToken,
		ModelMaxLength: 131072,
		PadToken:       padToken,
		TokenizerClass: "PreTrainedTokenizerFast",
	}
	for _, a := range f.AddedTokens {
		cfg.AddedTokensDecoder = append(cfg.AddedTokensDecoder, addedTokenEntry{
			id: a.ID, Content: a.Content, Lstrip: a.Lstrip, Normalized: a.Normalized,
			Rstrip: a.Rstrip, SingleWord: a.SingleWord, Special: a.Special,
		})
	}
	out, err := marshal(cfg, "  ")
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(out) {
		return nil, errors.New("tokenizer_config.json is not valid UTF-8")
	}
	return append(out, '\n'), nil
}
