package chattmpl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/internal/tokoracle"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
)

// oracleModels are the models whose shipped chat templates the oracle
// test covers, and the demo tokenizer embedded in the binary
// (internal/demotok).
var oracleModels = []string{"deepseek_v3", "llama3", "qwen3", "gemma3", "llama3_1", "demo"}

// testCase is one line of testdata/conversations.jsonl.
type testCase struct {
	Name      string          `json:"name"`
	Prompt    json.RawMessage `json:"prompt"`
	Assistant json.RawMessage `json:"assistant"`
}

func loadCases(t testing.TB) []testCase {
	data, err := os.ReadFile("testdata/conversations.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out []testCase
	for line := range strings.Lines(string(data)) {
		var c testCase
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("conversations.jsonl: %v", err)
		}
		out = append(out, c)
	}
	return out
}

// request is the Go-side request string and the oracle's JSON line.
func (c testCase) request(configPath string) (goLine, pyLine string) {
	cfg, _ := json.Marshal(configPath)
	if c.Assistant != nil {
		return `{"assistant":` + string(c.Assistant) + `}`,
			`{"op":"message","config":` + string(cfg) + `,` + string(bytes.TrimPrefix(c.Assistant, []byte("{")))
	}
	return string(c.Prompt), `{"op":"prompt","config":` + string(cfg) + `,` + string(bytes.TrimPrefix(c.Prompt, []byte("{")))
}

// pyResult is one answer of scripts/chat-oracle/render.py.
type pyResult struct {
	Text  *string `json:"text"`
	Error string  `json:"error"`
}

// oraclePython is the interpreter running render.py: $CHAT_ORACLE_PYTHON,
// else python3 (with Debian's python3-jinja2).
func oraclePython() string {
	if p := os.Getenv("CHAT_ORACLE_PYTHON"); p != "" {
		return p
	}
	return "python3"
}

// requirePython skips unless Debian's python3-jinja2 is usable and
// returns the path of render.py.
func requirePython(t testing.TB) string {
	root, err := tokoracle.RepoRoot()
	if err != nil {
		t.Skip(err)
	}
	if err := exec.Command(oraclePython(), "-c", "import jinja2").Run(); err != nil {
		t.Skipf("python3-jinja2 unavailable: %v", err)
	}
	return filepath.Join(root, "scripts", "chat-oracle", "render.py")
}

// pyRender runs render.py over the request lines.
// hfCounts counts every text Python rendered with model m's HF tokenizer
// (npm tokenizers), keyed by the text.
func hfCounts(t testing.TB, m tokoracle.Model, res []pyResult) map[string]int {
	t.Helper()
	var texts []string
	for _, r := range res {
		if r.Text != nil {
			texts = append(texts, *r.Text)
		}
	}
	hf, err := tokoracle.Counts(m.JSON(), texts)
	if err != nil {
		t.Fatalf("HF oracle on %s: %v", m.JSON(), err)
	}
	counts := make(map[string]int, len(texts))
	for i, s := range texts {
		counts[s] = hf[i]
	}
	return counts
}

func pyRender(t testing.TB, script string, lines []string) []pyResult {
	cmd := exec.Command(oraclePython(), script)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("render.py: %v\n%s", err, stderr.String())
	}
	var res []pyResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var r pyResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		res = append(res, r)
	}
	if len(res) != len(lines) {
		t.Fatalf("render.py answered %d of %d lines", len(res), len(lines))
	}
	return res
}

// TestOracle renders every conversation with every shipped template in Go
// and in Python Jinja2 (transformers' environment): the texts must be
// byte-equal, Go must fail where Python fails, and our counts must equal
// the HF tokenizers count of Python's rendering, with upstream's
// prefix/baseline subtraction for assistant messages.
func TestOracle(t *testing.T) {
	tokoracle.Differential(t)
	script := requirePython(t)
	if err := tokoracle.Available(); err != nil {
		t.Skip(err)
	}
	cases := loadCases(t)
	var total, pyOK, bytesEq, countEq, bothErr int
	for _, name := range oracleModels {
		m, err := tokoracle.Lookup(name)
		if err != nil {
			t.Logf("skip %s: %v", name, err)
			continue
		}
		cfgPath := filepath.Join(m.Dir, "tokenizer_config.json")
		tok, err := tokenize.LoadDir(m.Dir)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c, err := NewCounter(tok)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cfg, _ := json.Marshal(cfgPath)
		lines := []string{`{"op":"prefix","config":` + string(cfg) + `}`, `{"op":"with_assistant","config":` + string(cfg) + `}`}
		for _, tc := range cases {
			_, py := tc.request(cfgPath)
			lines = append(lines, py)
		}
		res := pyRender(t, script, lines)
		hfCount := hfCounts(t, m, res)
		if res[0].Text == nil || res[1].Text == nil {
			t.Fatalf("%s: baseline renders failed in Python: %s %s", name, res[0].Error, res[1].Error)
		}
		wantPrefix := hfCount[*res[0].Text]
		wantBase := hfCount[*res[1].Text] - wantPrefix
		gotPrefix, gotBase, berr := c.Baseline()
		if berr != nil || gotPrefix != wantPrefix || gotBase != wantBase {
			t.Errorf("%s: prefix/baseline = %d/%d (%v), HF %d/%d", name, gotPrefix, gotBase, berr, wantPrefix, wantBase)
		}
		for i, tc := range cases {
			total++
			want := res[i+2]
			goLine, _ := tc.request(cfgPath)
			req, err := ParseRequest(goLine)
			if err != nil {
				t.Fatalf("%s/%s: %v", name, tc.Name, err)
			}
			var got string
			var gotN int
			var rerr, cerr error
			if req.Message != nil {
				got, rerr = c.RenderMessage(*req.Message)
				gotN, cerr = c.CountMessage(*req.Message)
			} else {
				got, rerr = c.RenderPrompt(*req.Prompt)
				gotN, cerr = c.CountPrompt(*req.Prompt)
			}
			if want.Text == nil {
				// (ardanlabs/jinja v1.12.0 rendered deepseek_v3 and
				// qwen3 tool_call_string_args: str + dict and
				// 'x' in None; third_party/jinja/PATCHES.md.)
				if rerr == nil || cerr == nil {
					t.Errorf("%s/%s: Python raised %q, Go rendered %q", name, tc.Name, want.Error, got)
				} else {
					bothErr++
				}
				continue
			}
			pyOK++
			if rerr != nil {
				t.Errorf("%s/%s: Go failed: %v; Python rendered %q", name, tc.Name, rerr, *want.Text)
				continue
			}
			if got != *want.Text {
				t.Errorf("%s/%s: rendering differs\n go: %q\n py: %q", name, tc.Name, got, *want.Text)
			} else {
				bytesEq++
			}
			wantN := hfCount[*want.Text]
			if req.Message != nil {
				wantN = max(0, wantN-wantPrefix-wantBase)
			}
			if cerr != nil || gotN != wantN {
				t.Errorf("%s/%s: count %d (%v), HF %d", name, tc.Name, gotN, cerr, wantN)
			} else {
				countEq++
			}
		}
	}
	t.Logf("oracle: %d cases, Python rendered %d (both failed on %d); byte-equal %d/%d, count-equal %d/%d",
		total, pyOK, bothErr, bytesEq, pyOK, countEq, pyOK)
	if total == 0 {
		t.Skip("no oracle model installed")
	}
}

// TestRawTojsonOrder checks key order, int/float, ensure_ascii=False,
// no HTML escaping and indent against Python directly.
func TestRawTojsonOrder(t *testing.T) {
	script := requirePython(t)
	const src = "{{ x|tojson }}|{{ x|tojson(indent=2) }}|{% for k, v in x.items() %}{{ k }}={{ v }};{% endfor %}\n"
	const ctxJSON = `{"x":{"zeta":1,"alpha":[1.0,2,"<é&>"],"mid":{"b":null,"a":true}}}`
	res := pyRender(t, script, []string{`{"op":"raw","template":` + mustJSON(src) + `,"context":` + ctxJSON + `}`})
	tmpl, err := Compile(src)
	if err != nil {
		t.Fatal(err)
	}
	req, err := ParseRequest(`{"messages":[],"chat_template_kwargs":` + ctxJSON + `}`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tmpl.Render(RenderContext{Vars: req.Prompt.ChatTemplateKwargs.Map})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Text == nil || got != *res[0].Text {
		t.Fatalf("go %q\npy %+v", got, res[0])
	}
}

func mustJSON(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return string(b)
}

// TestRawOperatorsLikePython: "+" and "in" (patched in third_party/jinja)
// give Python's results, and raise where Python raises.
func TestRawOperatorsLikePython(t *testing.T) {
	script := requirePython(t)
	exprs := []string{
		"'a' + 'b'", "1 + 2", "1 + 2.5", "True + 1", "[1] + [2]", "(1,) + (2,)",
		"'a' + d", "'a' + 1", "n + 1", "[1] + (2,)", "d + d", "u + 'x'", "'x' + u",
		"'b' in 'abc'", "1 in [1, 2]", "'k' in d", "'k' in n", "1 in 'abc'", "[1] in d", "'x' in u", "'a' not in n",
	}
	ctxJSON := `{"d":{"k":1},"n":null}`
	req, err := ParseRequest(`{"messages":[],"chat_template_kwargs":` + ctxJSON + `}`)
	if err != nil {
		t.Fatal(err)
	}
	lines := make([]string, len(exprs))
	for i, e := range exprs {
		lines[i] = `{"op":"raw","template":` + mustJSON("{{ "+e+" }}") + `,"context":` + ctxJSON + `}`
	}
	res := pyRender(t, script, lines)
	for i, e := range exprs {
		tmpl, err := Compile("{{ " + e + " }}")
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		got, err := tmpl.Render(RenderContext{Vars: req.Prompt.ChatTemplateKwargs.Map})
		switch py := res[i]; {
		case py.Text == nil && err == nil:
			t.Errorf("%s: Python raised %q, Go rendered %q", e, py.Error, got)
		case py.Text != nil && err != nil:
			t.Errorf("%s: Python rendered %q, Go raised %v", e, *py.Text, err)
		case py.Text != nil && got != *py.Text:
			t.Errorf("%s: Python %q, Go %q", e, *py.Text, got)
		}
	}
}
