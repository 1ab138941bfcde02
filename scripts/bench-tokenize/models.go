package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mlperf-tools/aggregator/internal/tokcorpus"
	"github.com/mlperf-tools/aggregator/internal/tokoracle"
)

// builtNames are the model types the benchmark builds itself, next to the
// real tokenizer files the oracle installs.
var builtNames = []string{"wordpiece", "wordlevel", "unigram", "tiktoken_cl100k"}

// modelFiles returns the directory we load and the tokenizer.json the HF
// library loads for name: an installed oracle model, or one of builtNames
// built under work.
func modelFiles(name, work string) (ourDir, hfJSON string, err error) {
	if !slices.Contains(builtNames, name) {
		m, err := tokoracle.Lookup(name)
		if err != nil {
			return "", "", err
		}
		return m.Dir, m.JSON(), nil
	}
	dir := filepath.Join(work, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	if name == "tiktoken_cl100k" {
		return tiktokenFiles(dir)
	}
	train, err := trainText(work)
	if err != nil {
		return "", "", err
	}
	out := filepath.Join(dir, "tokenizer.json")
	spec := map[string]tokoracle.Spec{
		"wordpiece": {Model: tokoracle.Fn("WordPiece.empty"), PreTokenizer: call("whitespaceSplitPreTokenizer")},
		"wordlevel": {Model: tokoracle.Fn("WordLevel.empty"), PreTokenizer: call("whitespaceSplitPreTokenizer")},
		"unigram":   {Model: tokoracle.Fn("Unigram.empty"), PreTokenizer: call("metaspacePreTokenizer")},
	}[name]
	spec.Train = []string{train}
	if err := tokoracle.Build(spec, out); err != nil {
		return "", "", err
	}
	// The default trainers leave out the unknown token: add it, so that
	// words the training text lacks count as the model's unk.
	if err := addUnk(out, name); err != nil {
		return "", "", err
	}
	return dir, out, nil
}

func call(fn string) *tokoracle.Call {
	c := tokoracle.Fn(fn)
	return &c
}

// trainText writes the corpus's prose, code and markup lines (at most 300
// bytes each: the Unigram trainer fails on very long sentences) once.
func trainText(work string) (string, error) {
	p := filepath.Join(work, "train.txt")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	var b strings.Builder
	for _, c := range tokcorpus.Small(tokcorpus.DefaultSeed) {
		switch c.Category {
		case "prose", "answers", "code", "markdown-latex", "json", "contractions":
		default:
			continue
		}
		for _, line := range strings.Split(c.Text, "\n") {
			line = strings.TrimSpace(line)
			for len(line) > 300 {
				i := 300
				for i > 0 && line[i]&0xC0 == 0x80 {
					i--
				}
				b.WriteString(line[:i] + "\n")
				line = line[i:]
			}
			if line != "" {
				b.WriteString(line + "\n")
			}
		}
	}
	return p, os.WriteFile(p, []byte(b.String()), 0o644)
}

func addUnk(path, name string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var root map[string]any
	if err := d.Decode(&root); err != nil {
		return err
	}
	model := root["model"].(map[string]any)
	if name == "unigram" {
		model["vocab"] = append([]any{[]any{"<unk>", json.Number("0")}}, model["vocab"].([]any)...)
		model["unk_id"] = 0
	} else {
		v := model["vocab"].(map[string]any)
		v["[UNK]"] = json.Number(strconv.Itoa(len(v)))
		model["unk_token"] = "[UNK]"
	}
	out, err := json.Marshal(root)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}

// tiktokenFiles writes npm tiktoken's cl100k_base as a rank file (with a
// tokenizer_config.json naming the encoding) for us, and the HF library's
// equivalent tokenizer.json (what transformers' TikTokenConverter builds:
// Split + ByteLevel without regex, BPE with ignore_merges and the merges
// of every token ordered by its rank) in a subdirectory for HF.
func tiktokenFiles(dir string) (ourDir, hfJSON string, err error) {
	root, err := tokoracle.RepoRoot()
	if err != nil {
		return "", "", err
	}
	cmd := exec.Command("node", filepath.Join(root, "pkg/tokenize/testdata/tiktoken.js"), "ranks", dir)
	cmd.Env = append(os.Environ(), "ORACLE_NODE_MODULES="+filepath.Join(root, tokoracle.OracleDir, "node_modules"))
	cmd.Stderr = os.Stderr
	infoJSON, err := cmd.Output()
	if err != nil {
		return "", "", fmt.Errorf("write cl100k_base ranks: %w", err)
	}
	var info map[string]struct {
		Pattern  string         `json:"pattern"`
		Specials map[string]int `json:"specials"`
	}
	if err := json.Unmarshal(infoJSON, &info); err != nil {
		return "", "", err
	}
	os.Remove(filepath.Join(dir, "o200k_base.tiktoken"))
	enc := info["cl100k_base"]
	f, err := os.Open(filepath.Join(dir, "cl100k_base.tiktoken"))
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	ranks := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			continue
		}
		tok, err1 := base64.StdEncoding.DecodeString(fields[0])
		r, err2 := strconv.Atoi(fields[1])
		if err1 != nil || err2 != nil {
			return "", "", fmt.Errorf("bad rank line %q", sc.Text())
		}
		ranks[string(tok)] = r
	}
	if err := sc.Err(); err != nil {
		return "", "", err
	}
	byteLevel := byteLevelAlphabet()
	str := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			b.WriteRune(byteLevel[s[i]])
		}
		return b.String()
	}
	vocab := make(map[string]int, len(ranks))
	type merge struct {
		l, r string
		rank int
	}
	var merges []merge
	for tok, r := range ranks {
		vocab[str(tok)] = r
		for i := 1; i < len(tok); i++ {
			if _, ok := ranks[tok[:i]]; ok {
				if _, ok := ranks[tok[i:]]; ok {
					merges = append(merges, merge{tok[:i], tok[i:], r})
				}
			}
		}
	}
	slices.SortStableFunc(merges, func(a, b merge) int {
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		if ranks[a.l] != ranks[b.l] {
			return ranks[a.l] - ranks[b.l]
		}
		return ranks[a.r] - ranks[b.r]
	})
	pairs := make([][2]string, len(merges))
	for i, m := range merges {
		pairs[i] = [2]string{str(m.l), str(m.r)}
	}
	var added []map[string]any
	for s, id := range enc.Specials {
		added = append(added, map[string]any{"id": id, "content": s, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true})
	}
	hf := map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil, "added_tokens": added, "normalizer": nil,
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": enc.Pattern}, "behavior": "Isolated", "invert": false},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}}},
		"post_processor": nil, "decoder": nil,
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": nil,
			"end_of_word_suffix": nil, "fuse_unk": false, "byte_fallback": false, "ignore_merges": true,
			"vocab": vocab, "merges": pairs},
	}
	data, err := json.Marshal(hf)
	if err != nil {
		return "", "", err
	}
	hfDir := filepath.Join(dir, "hf")
	if err := os.MkdirAll(hfDir, 0o755); err != nil {
		return "", "", err
	}
	hfJSON = filepath.Join(hfDir, "tokenizer.json")
	return dir, hfJSON, os.WriteFile(hfJSON, data, 0o644)
}

// byteLevelAlphabet is GPT-2's byte -> rune map (the ByteLevel alphabet).
func byteLevelAlphabet() (m [256]rune) {
	n := rune(0)
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			m[b] = rune(b)
		} else {
			m[b] = 256 + n
			n++
		}
	}
	return m
}
