package tokenize

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/internal/tokcorpus"
	"github.com/mlperf-tools/aggregator/internal/tokoracle"
	"github.com/mlperf-tools/aggregator/pkg/tokenize/pretok"
)

// tiktoken rank files are checked against the npm tiktoken package
// (OpenAI's Rust core): its bundled cl100k_base and o200k_base encodings
// are written out as rank files, loaded by LoadDir the ways model repos
// ship them, and every text of the hard corpus must get tiktoken's ids
// with the same ranks, pattern and special tokens.

func tiktokenScript(t testing.TB, stdin []byte, args ...string) []byte {
	t.Helper()
	mods := oracleModules(t)
	if _, err := os.Stat(filepath.Join(mods, "tiktoken")); err != nil {
		t.Skip("npm tiktoken not installed (scripts/install-deps.sh)")
	}
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("node", append([]string{filepath.Join(filepath.Dir(file), "testdata", "tiktoken.js")}, args...)...)
	cmd.Env = append(os.Environ(), "ORACLE_NODE_MODULES="+mods)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node tiktoken.js %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

type tiktokenInfo struct {
	Pattern  string            `json:"pattern"`
	Specials map[string]uint32 `json:"specials"`
}

// writeTiktokenRanks writes the package's two encodings as rank files in
// a new directory.
func writeTiktokenRanks(t testing.TB) (string, map[string]tiktokenInfo) {
	dir := t.TempDir()
	var info map[string]tiktokenInfo
	if err := json.Unmarshal(tiktokenScript(t, nil, "ranks", dir), &info); err != nil {
		t.Fatal(err)
	}
	return dir, info
}

func tiktokenOracle(t testing.TB, ranks, pattern string, specials map[string]uint32, texts []string) [][]int {
	t.Helper()
	items := make([]string, len(texts))
	for i, s := range texts {
		items[i] = base64.StdEncoding.EncodeToString([]byte(s))
	}
	req, _ := json.Marshal(map[string]any{"ranks": ranks, "pattern": pattern, "specials": specials, "items": items})
	var ids [][]int
	if err := json.Unmarshal(tiktokenScript(t, req, "encode"), &ids); err != nil {
		t.Fatal(err)
	}
	return ids
}

// repoDir lays out a model directory: the rank file under name, and a
// tokenizer_config.json when cfg is not nil.
func repoDir(t *testing.T, ranks, name string, cfg map[string]any) string {
	dir := t.TempDir()
	data, err := os.ReadFile(ranks)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		b, _ := json.Marshal(cfg)
		if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// addedDecoder is tokenizer_config.json's added_tokens_decoder for specials.
func addedDecoder(specials map[string]uint32) map[string]any {
	d := map[string]any{}
	for s, id := range specials {
		d[fmt.Sprint(id)] = map[string]any{"content": s, "lstrip": false, "rstrip": false, "normalized": false, "single_word": false, "special": true}
	}
	return d
}

func TestTiktokenParity(t *testing.T) {
	tokoracle.Differential(t)
	rankDir, info := writeTiktokenRanks(t)
	var texts []string
	for _, c := range tokcorpus.Small(tokcorpus.DefaultSeed) {
		texts = append(texts, c.Text)
	}
	texts = append(texts, "<|endoftext|>", "a<|endoftext|>b<|im_end|><|endofprompt|>", "<|im_user|>hi<|im_middle|> there<|im_end|>",
		strings.Repeat("ab", 3000), strings.Repeat(" ", 700)+"x", strings.Repeat("é", 400))
	kimiLike := func(base uint32) map[string]uint32 {
		return map[string]uint32{"[BOS]": base, "[EOS]": base + 1, "<|im_end|>": base + 2, "<|im_user|>": base + 3, "<|im_middle|>": base + 4}
	}
	type tcase struct {
		name, file string
		cfg        map[string]any
		pattern    string
		specials   map[string]uint32
	}
	var cases []tcase
	for _, enc := range []string{"cl100k_base", "o200k_base"} {
		in := info[enc]
		n := uint32(0)
		for _, id := range in.Specials {
			n = max(n, id+1)
		}
		cases = append(cases,
			tcase{enc + "/named_file", enc + ".tiktoken", nil, in.Pattern, in.Specials},
			tcase{enc + "/tiktoken.model_encoding_name", "tiktoken.model",
				map[string]any{"encoding_name": enc, "added_tokens_decoder": addedDecoder(kimiLike(n))}, in.Pattern, kimiLike(n)},
			tcase{enc + "/tokenizer.model_pat_str", "tokenizer.model",
				map[string]any{"pat_str": in.Pattern, "added_tokens_decoder": addedDecoder(in.Specials)}, in.Pattern, in.Specials},
		)
	}
	// transformers' TikTokenConverter default for a tiktoken tokenizer.model.
	cases = append(cases, tcase{"o200k_ranks/tokenizer.model_converter_default", "tokenizer.model",
		map[string]any{"added_tokens_decoder": addedDecoder(kimiLike(200019))}, pretok.Llama3Pattern, kimiLike(200019)})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // node and Go overlap on the two cores
			enc := strings.Split(tc.name, "/")[0]
			enc = strings.TrimSuffix(enc, "_ranks") + map[bool]string{true: "_base", false: ""}[strings.HasSuffix(enc, "_ranks")]
			ranks := filepath.Join(rankDir, enc+".tiktoken")
			dir := repoDir(t, ranks, tc.file, tc.cfg)
			tok, err := LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			want := tiktokenOracle(t, ranks, tc.pattern, tc.specials, texts)
			c := tok.NewCounter()
			bad := 0
			for i, s := range texts {
				got, err := c.Encode(s)
				if err == nil && slices.Equal(got, want[i]) && tok.Count(s) == len(want[i]) {
					continue
				}
				t.Errorf("text %d %+q:\n got %v (%v)\nwant %v", i, clipString(s), got, err, want[i])
				if bad++; bad > 5 {
					t.Fatal("too many mismatches")
				}
			}
		})
	}
}
