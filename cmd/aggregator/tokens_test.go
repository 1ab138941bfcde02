package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// oracleDir is where scripts/install-deps.sh installs the HF tokenizers
// Node binding and the real tokenizer files.
var oracleDir = filepath.Join("..", "..", "scripts", "tokenizer-oracle", "node_modules")

// llama3Dir returns the local directory of the real Llama-3 tokenizer files,
// skipping the test when they are not installed.
func llama3Dir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join(oracleDir, "@lenml", "tokenizer-llama3", "models"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Skipf("Llama-3 tokenizer files not installed (scripts/install-deps.sh): %v", err)
	}
	return dir
}

// tinyDir is the small byte-level BPE fixture (testdata/tokens/gen_tiny.py):
// it loads in milliseconds, so the plumbing tests stay fast under -race.
func tinyDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "tokens", "tiny"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// oracleJS encodes the texts of a JSON array file with the official HF
// tokenizers library and prints the id arrays as JSON.
const oracleJS = `
const { Tokenizer } = require(process.argv[1]);
const fs = require('fs');
(async () => {
  const tok = Tokenizer.fromFile(process.argv[2]);
  const texts = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  const out = [];
  for (const t of texts) {
    const enc = await tok.encode(t, null, { addSpecialTokens: false });
    out.push(Array.from(enc.getIds()));
  }
  process.stdout.write(JSON.stringify(out));
})().catch(e => { console.error(e); process.exit(1); });
`

// oracleIDs returns the HF library's token ids of each text, skipping the
// test when node or the binding is missing.
func oracleIDs(t *testing.T, tokDir string, texts []string) [][]int {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not on PATH: no tokenizer oracle")
	}
	mod, err := filepath.Abs(filepath.Join(oracleDir, "tokenizers"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(mod, "package.json")); err != nil {
		t.Skipf("npm tokenizers not installed (scripts/install-deps.sh): %v", err)
	}
	in := filepath.Join(t.TempDir(), "texts.json")
	b, err := json.Marshal(texts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("node", "-e", oracleJS, mod, filepath.Join(tokDir, "tokenizer.json"), in).Output()
	if err != nil {
		t.Fatalf("oracle: %v", err)
	}
	var ids [][]int
	if err := json.Unmarshal(out, &ids); err != nil || len(ids) != len(texts) {
		t.Fatalf("oracle output (%d results for %d texts): %v", len(ids), len(texts), err)
	}
	return ids
}

// tokensEnv is the environment of every `tokens` run: the caller's minus
// every HF variable, a private HF_HOME, offline, and an endpoint on a
// closed port, so no test can touch the network or the user's cache.
func tokensEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HF_") && !strings.HasPrefix(kv, "HUGGING") && !strings.HasPrefix(kv, "TRANSFORMERS_") &&
			!strings.HasPrefix(kv, "XDG_CACHE_HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env, "HF_HOME="+t.TempDir(), "HF_HUB_OFFLINE=1", "HF_ENDPOINT=http://127.0.0.1:1")
	return append(env, extra...)
}

// runTokens runs `aggregator tokens count ARGS` with stdin.
func runTokens(t *testing.T, env []string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"tokens", "count"}, args...)...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func mustRunTokens(t *testing.T, env []string, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := runTokens(t, env, stdin, args...)
	if err != nil {
		t.Fatalf("tokens count %v: %v\n%s", args, err, errOut)
	}
	return out
}

// countsOf formats counts one per line, as `tokens count` prints them.
func countsOf(ids [][]int) string {
	var b strings.Builder
	for _, x := range ids {
		fmt.Fprintln(&b, len(x))
	}
	return b.String()
}

// sampleTexts are one-line texts over the pre-tokenizer's classes,
// including a special token written in the text and a trailing "\r".
var sampleTexts = []string{
	"Hello, world! This is a test.",
	"",
	"   leading and trailing spaces   ",
	"def f(x):\treturn x**2  # code",
	`{"key": [1, 2.5e-3, null], "s": "v"}`,
	"数字1234567和中文混合，标点。",
	"مرحبا بالعالم",
	"नमस्ते दुनिया",
	"emoji 👩‍👩‍👧‍👦 and 🇫🇷 flags",
	"e\u0301\u0301\u0301 combining",
	"<|begin_of_text|>special inside<|eot_id|> text",
	"I'M you're THEY'LL we'd",
	"https://example.com/a/b?c=d&e=f#g",
	"tab\tand\u00a0nbsp\u3000ideographic",
	"carriage\r",
}

func joinLines(texts []string) string { return strings.Join(texts, "\n") + "\n" }

// TestTokensCountMatchesOracle: one count per line, equal to the HF
// library's counts; --ids equal to its ids; for the real Llama-3 files and
// the tiny fixture the other tests use.
func TestTokensCountMatchesOracle(t *testing.T) {
	t.Parallel()
	t.Run("llama3", func(t *testing.T) { matchOracle(t, llama3Dir(t)) })
	t.Run("tiny", func(t *testing.T) { matchOracle(t, tinyDir(t)) })
}

func matchOracle(t *testing.T, dir string) {
	ids := oracleIDs(t, dir, sampleTexts)
	env := tokensEnv(t)
	if got, want := mustRunTokens(t, env, joinLines(sampleTexts), "--tokenizer", dir), countsOf(ids); got != want {
		t.Errorf("counts:\n%s\nwant:\n%s", got, want)
	}
	got := strings.Split(strings.TrimSuffix(mustRunTokens(t, env, joinLines(sampleTexts), "--tokenizer", dir, "--ids"), "\n"), "\n")
	if len(got) != len(sampleTexts) {
		t.Fatalf("--ids printed %d lines for %d texts", len(got), len(sampleTexts))
	}
	for i, line := range got {
		var want []string
		for _, id := range ids[i] {
			want = append(want, strconv.Itoa(id))
		}
		if line != strings.Join(want, " ") {
			t.Errorf("text %q: ids %q, want %q", sampleTexts[i], line, strings.Join(want, " "))
		}
	}
}

// TestTokensCountLines: only "\n" ends a line and is removed; "\r" is text
// unless --strip-cr; a last line without "\n" counts; empty input prints
// nothing.
func TestTokensCountLines(t *testing.T) {
	t.Parallel()
	dir := llama3Dir(t)
	env := tokensEnv(t)
	input := "one\r\ntwo\rthree\n\n  \nlast"
	ids := oracleIDs(t, dir, []string{"one\r", "two\rthree", "", "  ", "last"})
	if got, want := mustRunTokens(t, env, input, "--tokenizer", dir), countsOf(ids); got != want {
		t.Errorf("lines:\n%s\nwant:\n%s", got, want)
	}
	ids = oracleIDs(t, dir, []string{"one", "two\rthree", "", "  ", "last"})
	if got, want := mustRunTokens(t, env, input, "--tokenizer", dir, "--strip-cr"), countsOf(ids); got != want {
		t.Errorf("--strip-cr:\n%s\nwant:\n%s", got, want)
	}
	if got := mustRunTokens(t, env, "", "--tokenizer", dir); got != "" {
		t.Errorf("empty input printed %q", got)
	}
}

// TestTokensCountHugeLine: a 1.5 MB line (and the same text as a JSON line)
// is counted whole, exactly.
func TestTokensCountHugeLine(t *testing.T) {
	t.Parallel()
	dir := llama3Dir(t)
	var b strings.Builder
	for i := 0; b.Len() < 1_500_000; i++ {
		fmt.Fprintf(&b, "word%d, Ünïcödé %d\t數字 ", i*7919%100003, i)
	}
	text := b.String()
	want := countsOf(oracleIDs(t, dir, []string{text}))
	env := tokensEnv(t)
	if got := mustRunTokens(t, env, text+"\n", "--tokenizer", dir); got != want {
		t.Errorf("huge line: %q, want %q", got, want)
	}
	js, _ := json.Marshal(map[string]string{"text": text})
	if got := mustRunTokens(t, env, string(js), "--tokenizer", dir, "--jsonl"); got != want {
		t.Errorf("huge JSON line: %q, want %q", got, want)
	}
}

// TestTokensCountJSONL: --jsonl counts each object's "text" (other fields
// ignored) exactly as the same texts as plain lines; --json-out wraps each
// count; several FILEs and "-" are read in order.
func TestTokensCountJSONL(t *testing.T) {
	t.Parallel()
	dir := tinyDir(t)
	env := tokensEnv(t)
	var texts []string
	for _, s := range sampleTexts {
		if !strings.Contains(s, "\r") {
			texts = append(texts, s)
		}
	}
	plain := mustRunTokens(t, env, joinLines(texts), "--tokenizer", dir)

	var jl strings.Builder
	for i, s := range texts {
		b, _ := json.Marshal(map[string]any{"id": i, "text": s, "meta": map[string]any{"text": 1}})
		jl.Write(b)
		jl.WriteByte('\n')
	}
	if got := mustRunTokens(t, env, jl.String(), "--tokenizer", dir, "--jsonl"); got != plain {
		t.Errorf("--jsonl:\n%s\nwant (plain):\n%s", got, plain)
	}

	var wantJSON strings.Builder
	for _, c := range strings.Fields(plain) {
		fmt.Fprintf(&wantJSON, "{\"count\": %s}\n", c)
	}
	if got := mustRunTokens(t, env, jl.String(), "--tokenizer", dir, "--jsonl", "--json-out"); got != wantJSON.String() {
		t.Errorf("--json-out:\n%s\nwant:\n%s", got, wantJSON.String())
	}

	// Escapes decode before counting: \u escapes, a surrogate pair.
	esc := `{"text": "\u0048ello \ud83d\ude00 \"q\" \\ \/"}` + "\n"
	if got, want := mustRunTokens(t, env, esc, "--tokenizer", dir, "--jsonl"), mustRunTokens(t, env, "Hello 😀 \"q\" \\ /\n", "--tokenizer", dir); got != want {
		t.Errorf("escapes: %q, want %q", got, want)
	}

	tmp := t.TempDir()
	half := len(texts) / 2
	f1, f2 := filepath.Join(tmp, "a.txt"), filepath.Join(tmp, "b.txt")
	if err := os.WriteFile(f1, []byte(joinLines(texts[:half])), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f2, []byte(strings.Join(texts[half+1:], "\n")), 0o644); err != nil { // no final "\n"
		t.Fatal(err)
	}
	if got := mustRunTokens(t, env, texts[half]+"\n", "--tokenizer", dir, f1, "-", f2); got != plain {
		t.Errorf("FILE - FILE:\n%s\nwant:\n%s", got, plain)
	}
}

// fatalLine checks that a failed run printed exactly one FATAL line
// mentioning every want.
func fatalLine(t *testing.T, stderr string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("exit 0, want failure; stderr:\n%s", stderr)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "FATAL: ") {
		t.Fatalf("want one FATAL line, got:\n%s", stderr)
	}
	for _, w := range want {
		if !strings.Contains(lines[0], w) {
			t.Errorf("FATAL line %q does not mention %q", lines[0], w)
		}
	}
}

// TestTokensCountBadInput: a line that cannot be counted gets its own
// answer (an empty line; {"error": ...} with --json-out) and a warning
// naming it; the lines after it are still counted (as the HF library
// counts them); the run exits 1 with one FATAL line listing the failures.
func TestTokensCountBadInput(t *testing.T) {
	t.Parallel()
	dir := tinyDir(t)
	env := tokensEnv(t)
	good := `{"text": "fine"}` + "\n"
	fine := countsOf(oracleIDs(t, dir, []string{"fine"}))
	cases := []struct {
		name, line string
		jsonl      bool
		want       string
	}{
		{"not JSON", `{"text": "x"`, true, "want a JSON object"},
		{"plain text", `hello`, true, "want a JSON object"},
		{"array", `["text"]`, true, "want a JSON object"},
		{"null", `null`, true, "got null"},
		{"empty line", ``, true, "want a JSON object"},
		{"no text", `{"txt": "x"}`, true, `no "text" field`},
		{"text is a number", `{"text": 5}`, true, `"text" is not a string`},
		{"text is null", `{"text": null}`, true, `"text" is not a string`},
		{"case-folded key", `{"TEXT": "x"}`, true, `no "text" field`},
		{"lone surrogate", `{"text": "a\ud800b"}`, true, "unpaired surrogate"},
		{"invalid UTF-8 JSON", "{\"text\": \"a\xffb\"}", true, "invalid UTF-8 at byte 11"},
		{"invalid UTF-8 plain", "ok\xc3(", false, "invalid UTF-8 at byte 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"--tokenizer", dir}
			if c.jsonl {
				args = append(args, "--jsonl")
			}
			first := good
			if !c.jsonl {
				first = "fine\n"
			}
			input := first + first + c.line + "\n" + first
			out, stderr, err := runTokens(t, env, input, args...)
			if want := fine + fine + "\n" + fine; out != want {
				t.Errorf("stdout %q, want %q", out, want)
			}
			failedRun(t, stderr, err, 1, 4, "<stdin>:3")
			if !strings.Contains(stderr, "at=<stdin>:3") || !strings.Contains(stderr, strings.ReplaceAll(c.want, `"`, `\"`)) {
				t.Errorf("no warning naming <stdin>:3 and %q:\n%s", c.want, stderr)
			}

			out, _, err = runTokens(t, env, input, append(args, "--json-out")...)
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if err == nil || len(lines) != 4 {
				t.Fatalf("--json-out: exit %v, stdout %q", err, out)
			}
			var answer struct {
				Error *string `json:"error"`
			}
			if err := json.Unmarshal([]byte(lines[2]), &answer); err != nil || answer.Error == nil || !strings.Contains(*answer.Error, c.want) {
				t.Errorf("--json-out answer %q (%v), want an error object mentioning %q", lines[2], err, c.want)
			}
			for _, i := range []int{0, 1, 3} {
				if lines[i] != `{"count": `+strings.TrimSpace(fine)+`}` {
					t.Errorf("--json-out line %d: %q", i+1, lines[i])
				}
			}
		})
	}
	// A file's failures name the file.
	f := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(f, []byte(good+"{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runTokens(t, env, "", "--tokenizer", dir, "--jsonl", f)
	if out != fine+"\n" {
		t.Errorf("stdout %q", out)
	}
	failedRun(t, stderr, err, 1, 2, f+":2")
}

// failedRun checks a run that could not count some lines: exit status 1,
// stderr ending in one FATAL line with the number of failed and answered
// lines and the first failures' positions.
func failedRun(t *testing.T, stderr string, err error, failed, lines int, positions ...string) {
	t.Helper()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1; stderr:\n%s", err, stderr)
	}
	all := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	last := all[len(all)-1]
	if strings.Count(stderr, "FATAL: ") != 1 || !strings.HasPrefix(last, "FATAL: ") {
		t.Fatalf("want one FATAL line at the end, got:\n%s", stderr)
	}
	if want := fmt.Sprintf("FATAL: %d of %d lines could not be counted (", failed, lines); !strings.HasPrefix(last, want) {
		t.Errorf("FATAL line %q, want it to start with %q", last, want)
	}
	for _, p := range positions {
		if !strings.Contains(last, p) {
			t.Errorf("FATAL line %q does not name %s", last, p)
		}
	}
}

// TestTokensCountKeepsGoing: thousands of lines after lines that cannot
// be counted (lone surrogates, invalid UTF-8) are all counted, each equal
// to the HF library's count of its text.
func TestTokensCountKeepsGoing(t *testing.T) {
	t.Parallel()
	dir := tinyDir(t)
	env := tokensEnv(t)
	const n = 3000
	bad := map[int]string{2: `{"text": "\ud800"}`, 1500: `{"text": "x\udfff y"}`, 2999: "{\"text\": \"\xc0\"}"}
	var in strings.Builder
	var texts []string
	for i := 1; i <= n; i++ {
		if b, ok := bad[i]; ok {
			in.WriteString(b + "\n")
			continue
		}
		s := fmt.Sprintf("%s %d", sampleTexts[i%len(sampleTexts)], i)
		texts = append(texts, s)
		js, _ := json.Marshal(map[string]string{"text": s})
		in.Write(js)
		in.WriteByte('\n')
	}
	ids := oracleIDs(t, dir, texts)
	out, stderr, err := runTokens(t, env, in.String(), "--tokenizer", dir, "--jsonl")
	failedRun(t, stderr, err, len(bad), n, "<stdin>:2", "<stdin>:1500", "<stdin>:2999")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("%d answers for %d lines", len(lines), n)
	}
	k := 0
	for i := 1; i <= n; i++ {
		want := ""
		if _, ok := bad[i]; !ok {
			want = strconv.Itoa(len(ids[k]))
			k++
		}
		if lines[i-1] != want {
			t.Fatalf("line %d: %q, want %q", i, lines[i-1], want)
		}
	}
}

// TestTokensCountFatal: unusable --tokenizer values, inputs and
// subcommands fail with one FATAL line.
func TestTokensCountFatal(t *testing.T) {
	t.Parallel()
	env := tokensEnv(t)
	empty := t.TempDir()
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"no --tokenizer", nil, []string{"--tokenizer is required"}},
		{"missing directory", []string{"--tokenizer", "/nonexistent/tokenizer/dir"}, []string{"--tokenizer", "not a local directory", "invalid model id"}},
		{"directory without tokenizer.json", []string{"--tokenizer", empty}, []string{"has no tokenizer.json"}},
		{"model not cached, offline", []string{"--tokenizer", "meta-llama/Not-Cached"}, []string{"offline", "meta-llama/Not-Cached", "not in the local cache", "models--meta-llama--Not-Cached"}},
		{"escaping model id", []string{"--tokenizer", "../../etc"}, []string{"invalid model id"}},
		{"bad revision", []string{"--tokenizer", "org/model", "--revision", "../x"}, []string{"invalid revision"}},
		{"missing input", []string{"--tokenizer", empty, "/nonexistent/input.txt"}, []string{"input", "/nonexistent/input.txt"}},
		{"unknown flag", []string{"--no-such-flag"}, []string{"unknown flag: --no-such-flag"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, err := runTokens(t, env, "", c.args...)
			fatalLine(t, stderr, err, c.want...)
		})
	}
	t.Run("no subcommand", func(t *testing.T) {
		cmd := exec.Command(binPath, "tokens", "bogus")
		cmd.Env = env
		b, err := cmd.CombinedOutput()
		fatalLine(t, string(b), err, `unknown subcommand "bogus"`)
	})
}

// TestTokensCountFromHFCache: a model id resolves through a hub cache laid
// out as huggingface_hub lays it out (refs/main → snapshots/<commit>/ with
// a relative symlink into blobs/), offline, via HF_HUB_CACHE or
// --cache-dir, by branch or by commit, and counts as the local directory.
func TestTokensCountFromHFCache(t *testing.T) {
	t.Parallel()
	dir := tinyDir(t)
	const commit = "0123456789abcdef0123456789abcdef01234567"
	home := t.TempDir()
	cache := filepath.Join(home, "hub")
	repo := filepath.Join(cache, "models--meta-llama--Meta-Llama-3-8B")
	for _, d := range []string{"blobs", "refs", filepath.Join("snapshots", commit)} {
		if err := os.MkdirAll(filepath.Join(repo, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	blob := hex.EncodeToString(sum[:]) // an LFS file's blob name
	if err := os.WriteFile(filepath.Join(repo, "blobs", blob), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..", "..", "blobs", blob), filepath.Join(repo, "snapshots", commit, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(commit), 0o644); err != nil {
		t.Fatal(err)
	}

	input := joinLines(sampleTexts)
	want := mustRunTokens(t, tokensEnv(t), input, "--tokenizer", dir)
	runs := []struct {
		name string
		env  []string
		args []string
	}{
		{"HF_HUB_CACHE", tokensEnv(t, "HF_HUB_CACHE="+cache), nil},
		{"HF_HOME", tokensEnv(t, "HF_HOME="+home), nil},
		{"--cache-dir --offline", tokensEnv(t, "HF_HUB_OFFLINE="), []string{"--cache-dir", cache, "--offline"}},
		{"--revision commit", tokensEnv(t, "HF_HUB_CACHE="+cache), []string{"--revision", commit}},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			args := append([]string{"--tokenizer", "meta-llama/Meta-Llama-3-8B"}, r.args...)
			if got := mustRunTokens(t, r.env, input, args...); got != want {
				t.Errorf("counts through the cache:\n%s\nwant:\n%s", got, want)
			}
		})
	}
	// A revision the cache does not hold: offline miss naming the path.
	_, stderr, err := runTokens(t, tokensEnv(t, "HF_HUB_CACHE="+cache), input, "--tokenizer", "meta-llama/Meta-Llama-3-8B", "--revision", "v2")
	fatalLine(t, stderr, err, "not in the local cache", filepath.Join(repo, "refs", "v2"))
}

// TestReadLine: lines longer than the reader's buffer come back whole; only
// "\n" ends a line; a last line without it counts; an empty tail does not.
func TestReadLine(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("0123456789", 50)
	input := long + "\n\n" + "a\r\n" + long + "x" // last line longer than the buffer, no "\n"
	want := []string{long, "", "a\r", long + "x"}
	var lc lineCounter
	r := bufio.NewReaderSize(strings.NewReader(input), 16)
	var got []string
	for {
		line, ok, err := lc.readLine(r)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, string(line))
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines %q, want %q", got, want)
	}
}

func TestJSONLText(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]string{
		`{"text": "plain"}`:                     "plain",
		`{"text": "a", "text": "last wins"}`:    "last wins",
		`{"other": {"text": 1}, "text": ""}`:    "",
		`{"text": "\ud83d\ude00 \\ud800 \""}`:   "😀 \\ud800 \"",
		`  {"text": "ws"}  `:                    "ws",
		`{"text": "\u00e9\u0301 \t\n\r\u2028"}`: "é\u0301 \t\n\r\u2028",
	} {
		got, err := jsonlText([]byte(line))
		if err != nil || got != want {
			t.Errorf("jsonlText(%s) = %q, %v; want %q", line, got, err, want)
		}
	}
	for _, line := range []string{`"text"`, `{"text": "a\udc00"}`, `{"text": "\ud800\u0041"}`, `{"text": "\ud800"}`, `{"text": ["a"]}`, `{"text": "a"} x`} {
		if got, err := jsonlText([]byte(line)); err == nil {
			t.Errorf("jsonlText(%s) = %q, want an error", line, got)
		}
	}
}

// TestTokensCountTiktokenRepo: `tokens count --tokenizer` takes a
// repository that ships a tiktoken rank file instead of tokenizer.json
// through the same resolution and loading: Llama-3 as a rank file counts
// and encodes like the HF library with Llama-3's tokenizer.json.
func TestTokensCountTiktokenRepo(t *testing.T) {
	t.Parallel()
	ids := oracleIDs(t, llama3Dir(t), sampleTexts)
	env := tokensEnv(t)
	dir := llama3RankDir(t)
	if got, want := mustRunTokens(t, env, joinLines(sampleTexts), "--tokenizer", dir), countsOf(ids); got != want {
		t.Errorf("counts:\n%s\nwant:\n%s", got, want)
	}
}
