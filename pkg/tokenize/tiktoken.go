package tokenize

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/mlperf-tools/aggregator/pkg/tokenize/pretok"
)

// A tiktoken rank file (tiktoken's load_tiktoken_bpe format, used by
// OpenAI's encodings and by model repos that ship tiktoken.model,
// tokenizer.model or NAME.tiktoken instead of a tokenizer.json) has one
// "base64(token bytes) rank" per line. Counting follows tiktoken's
// encode_ordinary with every special token allowed: split the text at the
// special tokens, split the rest with the encoding's pattern, and for
// each piece take its rank if the whole piece is a token, else merge
// adjacent parts (starting from single bytes) by the lowest rank of their
// concatenation, leftmost first. That is exactly a byte-level BPE whose
// merge (a, b) has the rank of the token a+b, with ignore_merges: the
// loader builds that BPE, so counting runs on the same code as
// tokenizer.json files. It is also what transformers' TikTokenConverter
// builds (Split(pattern, isolated) + ByteLevel without its regex + BPE with
// ignore_merges), except that the converter orders the merges of one token
// by the ranks of their halves where tiktoken (and this package) go
// leftmost.

// TiktokenFiles are the rank-file names looked for, in this order, in a
// directory without tokenizer.json (besides any *.tiktoken file).
var TiktokenFiles = []string{"tiktoken.model", "tokenizer.model"}

// tiktokenEncoding is a known encoding: its split pattern and its special
// tokens (used when tokenizer_config.json has no added_tokens_decoder).
type tiktokenEncoding struct {
	pattern  string
	specials map[string]uint32
}

// tiktokenEncodings are the encodings whose patterns pretok scans by hand,
// with the pattern text tiktoken has for them.
var tiktokenEncodings = map[string]tiktokenEncoding{
	"cl100k_base": {pretok.Llama3Pattern, map[string]uint32{
		"<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
		"<|fim_suffix|>": 100260, "<|endofprompt|>": 100276}},
	"o200k_base": {pretok.O200kPattern, map[string]uint32{
		"<|endoftext|>": 199999, "<|endofprompt|>": 200018}},
}

// findTiktoken returns the rank file of dir: the first of TiktokenFiles
// that exists, else the only *.tiktoken file.
func findTiktoken(dir string) (string, error) {
	for _, n := range TiktokenFiles {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	matches, err := filepath.Glob(filepath.Join(dir, "*.tiktoken"))
	if err != nil {
		return "", err
	}
	switch len(matches) {
	case 0:
		return "", fmt.Errorf("%s has no tokenizer.json and no tiktoken rank file (%s or *.tiktoken)", dir, strings.Join(TiktokenFiles, ", "))
	case 1:
		return matches[0], nil
	default:
		return "", fmt.Errorf("%s has no tokenizer.json and several tiktoken rank files (%s): cannot tell which one the model uses", dir, strings.Join(matches, ", "))
	}
}

// loadTiktoken builds the Tokenizer of the rank file at path, with the
// split pattern and special tokens that cfg (tokenizer_config.json) or the
// file's name give. Every refusal names the file and the reason.
func loadTiktoken(path string, cfg *Config) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tokenizer: %w", err)
	}
	t, err := parseTiktoken(data, filepath.Base(path), cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// tiktokenPattern decides the split pattern: tokenizer_config.json's
// "pat_str" (the pattern itself) or "encoding_name" (a known encoding),
// else the file's name (cl100k_base.tiktoken), else, for tokenizer.model,
// the default of transformers' TikTokenConverter (which is what
// AutoTokenizer uses for such a file unless the repo ships remote code).
func tiktokenPattern(name string, cfg *Config) (pattern string, enc *tiktokenEncoding, err error) {
	raw := cfg.Raw
	str := func(key string) (string, bool, error) {
		v, ok := raw[key]
		if !ok || isNull(v) {
			return "", false, nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", true, fmt.Errorf("tokenizer_config.json %s: %w", key, err)
		}
		return s, true, nil
	}
	if p, ok, err := str("pat_str"); err != nil || ok {
		return p, nil, err
	}
	encName, ok, err := str("encoding_name")
	if err != nil {
		return "", nil, err
	}
	if !ok {
		encName = strings.TrimSuffix(name, ".tiktoken")
	}
	if e, known := tiktokenEncodings[encName]; known {
		return e.pattern, &e, nil
	}
	if ok {
		return "", nil, fmt.Errorf("tokenizer_config.json names encoding %q; known: cl100k_base, o200k_base", encName)
	}
	if _, remote := raw["auto_map"]; remote {
		return "", nil, fmt.Errorf("the split pattern of %s is in the repo's remote code (tokenizer_config.json auto_map), which is not run here; add \"pat_str\" or \"encoding_name\" to tokenizer_config.json to count with it", name)
	}
	if name == "tokenizer.model" {
		return tikTokenConverterPattern, nil, nil
	}
	return "", nil, fmt.Errorf("no split pattern for %s: tokenizer_config.json has no \"pat_str\" or \"encoding_name\" and the file name is not a known encoding (cl100k_base.tiktoken, o200k_base.tiktoken)", name)
}

// tikTokenConverterPattern is the default pattern of transformers'
// TikTokenConverter (Llama-3's, cl100k_base's as tiktoken writes it).
const tikTokenConverterPattern = pretok.Llama3Pattern

func parseTiktoken(data []byte, name string, cfg *Config) (*Tokenizer, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	pattern, enc, err := tiktokenPattern(name, cfg)
	if err != nil {
		return nil, err
	}
	ranks, err := parseRanks(data)
	if err != nil {
		return nil, err
	}
	specials, err := tiktokenSpecials(cfg, enc)
	if err != nil {
		return nil, err
	}
	m, err := tiktokenBPE(ranks)
	if err != nil {
		return nil, err
	}
	re, err := pretok.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("split pattern: %w", err)
	}
	h := sha256.New()
	h.Write(data)
	h.Write([]byte{0})
	h.Write([]byte(pattern))
	for _, s := range specials {
		fmt.Fprintf(h, "\x00%d %q %v%v%v%v", *s.ID, *s.Content, *s.Lstrip, *s.Rstrip, *s.SingleWord, *s.Normalized)
	}
	t := &Tokenizer{identity: "sha256:" + hex.EncodeToString(h.Sum(nil)), config: cfg, model: m}
	t.pre = []preStage{
		{kind: stageSplit, re: re, behavior: behaviorIsolated},
		{kind: stageByteLevel, behavior: behaviorIsolated},
	}
	b := &builder{t: t, fileIDs: true}
	if err := b.addedTokens(specials); err != nil {
		return nil, err
	}
	t.nBufSlots, t.nIntSlots = b.nbufs, b.nints
	t.pool = sync.Pool{New: func() any { return t.NewCounter() }}
	return t, nil
}

// parseRanks reads the rank file as tiktoken's load_tiktoken_bpe does,
// but strictly: every non-empty line must be "base64 rank", the base64
// must be canonical and every rank distinct.
func parseRanks(data []byte) (map[string]uint32, error) {
	ranks := make(map[string]uint32, bytes.Count(data, []byte{'\n'})+1)
	seen := map[uint32]int{}
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		line := data
		data = nil
		if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
			next := i + 1
			if line[i] == '\r' && next < len(line) && line[next] == '\n' {
				next++
			}
			line, data = line[:i], line[next:]
		}
		if len(line) == 0 {
			continue
		}
		fields := bytes.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: want \"base64-token rank\", got %q (truncated or garbled rank file?)", lineNo, clip(line))
		}
		tok, err := base64.StdEncoding.Strict().DecodeString(string(fields[0]))
		if err != nil || len(tok) == 0 {
			return nil, fmt.Errorf("line %d: bad base64 token %q (truncated or garbled rank file?)", lineNo, clip(fields[0]))
		}
		r, err := strconv.ParseUint(string(fields[1]), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("line %d: bad rank %q", lineNo, clip(fields[1]))
		}
		rank := uint32(r)
		if prev, dup := seen[rank]; dup {
			return nil, fmt.Errorf("line %d: rank %d already given on line %d", lineNo, rank, prev)
		}
		seen[rank] = lineNo
		if _, dup := ranks[string(tok)]; dup {
			return nil, fmt.Errorf("line %d: token %q listed twice", lineNo, tok)
		}
		ranks[string(tok)] = rank
	}
	if len(ranks) == 0 {
		return nil, errors.New("empty rank file")
	}
	var missing []string
	for b := range 256 {
		if _, ok := ranks[string([]byte{byte(b)})]; !ok {
			missing = append(missing, fmt.Sprintf("%02x", b))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%d single bytes have no rank (e.g. 0x%s): tiktoken cannot encode every text with it (truncated file?)", len(missing), missing[0])
	}
	return ranks, nil
}

// tiktokenBPE builds the byte-level BPE equivalent to the ranks: vocab
// keyed by the ByteLevel alphabet, id = rank, and for every token every
// split into two tokens as a merge ranked by the token's rank.
func tiktokenBPE(ranks map[string]uint32) (*bpeModel, error) {
	m := &bpeModel{unkID: -1, byteLevel: true, ignoreMerges: true}
	m.vocab = make(map[string]uint32, len(ranks))
	var buf []byte
	for tok, r := range ranks {
		buf = buf[:0]
		for i := 0; i < len(tok); i++ {
			buf = append(buf, bytesCharStr[tok[i]]...)
		}
		m.vocab[string(buf)] = r
	}
	m.vocabSize = len(m.vocab)
	m.merges = newMergeTable(2 * len(ranks))
	for tok, r := range ranks {
		for i := 1; i < len(tok); i++ {
			a, okA := ranks[tok[:i]]
			b, okB := ranks[tok[i:]]
			if okA && okB {
				m.merges.put(a, b, r, r)
			}
		}
	}
	for b := range 256 {
		m.fallbackIDs[b] = -1
		m.byteIDs[b] = int32(ranks[string([]byte{byte(b)})])
	}
	return m, nil
}

// tiktokenSpecials returns the special tokens: tokenizer_config.json's
// added_tokens_decoder ({"id": AddedToken}) when present, else the known
// encoding's.
func tiktokenSpecials(cfg *Config, enc *tiktokenEncoding) ([]rawAddedToken, error) {
	var out []rawAddedToken
	if v, ok := cfg.Raw["added_tokens_decoder"]; ok && !isNull(v) {
		var dec map[string]struct {
			Content    *string `json:"content"`
			SingleWord bool    `json:"single_word"`
			Lstrip     bool    `json:"lstrip"`
			Rstrip     bool    `json:"rstrip"`
			Normalized bool    `json:"normalized"`
			Special    bool    `json:"special"`
		}
		if err := json.Unmarshal(v, &dec); err != nil {
			return nil, fmt.Errorf("tokenizer_config.json added_tokens_decoder: %w", err)
		}
		for k, tok := range dec {
			id, err := strconv.ParseUint(k, 10, 32)
			if err != nil || tok.Content == nil {
				return nil, fmt.Errorf("tokenizer_config.json added_tokens_decoder: bad entry %q", k)
			}
			out = append(out, newRawAdded(uint32(id), *tok.Content, tok.SingleWord, tok.Lstrip, tok.Rstrip, tok.Normalized, tok.Special))
		}
	} else if enc != nil {
		for s, id := range enc.specials {
			out = append(out, newRawAdded(id, s, false, false, false, false, true))
		}
	}
	sort.Slice(out, func(i, j int) bool { return *out[i].ID < *out[j].ID })
	return slices.Clip(out), nil
}

func newRawAdded(id uint32, content string, singleWord, lstrip, rstrip, normalized, special bool) rawAddedToken {
	return rawAddedToken{ID: &id, Content: &content, SingleWord: &singleWord, Lstrip: &lstrip,
		Rstrip: &rstrip, Normalized: &normalized, Special: &special}
}
