package chattmpl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/internal/tokoracle"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
)

// shippedTemplate returns the chat_template of an installed model's
// tokenizer_config.json.
func shippedTemplate(t *testing.T, model string) string {
	t.Helper()
	m, err := tokoracle.Lookup(model)
	if err != nil {
		t.Skip(err)
	}
	var cfg struct {
		ChatTemplate string `json:"chat_template"`
	}
	b, err := os.ReadFile(filepath.Join(m.Dir, "tokenizer_config.json"))
	if err == nil {
		err = json.Unmarshal(b, &cfg)
	}
	if err != nil || cfg.ChatTemplate == "" {
		t.Fatalf("%s: no chat_template: %v", model, err)
	}
	return cfg.ChatTemplate
}

// modelDirWith builds a model directory from an installed model: its
// tokenizer.json; its tokenizer_config.json with "chat_template" set to
// cfgTemplate (nil: removed); and files (path → content, "/"-separated).
func modelDirWith(t *testing.T, m tokoracle.Model, cfgTemplate any, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(m.JSON(), filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]json.RawMessage{}
	b, err := os.ReadFile(filepath.Join(m.Dir, "tokenizer_config.json"))
	if err == nil {
		err = json.Unmarshal(b, &cfg)
	}
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	delete(cfg, "chat_template")
	if cfgTemplate != nil {
		cfg["chat_template"], _ = json.Marshal(cfgTemplate)
	}
	b, _ = json.Marshal(cfg)
	files["tokenizer_config.json"] = string(b)
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fileCase is one model directory and the requests rendered with it; want
// says, per request, a string the rendering must contain, which names the
// template transformers selects ("" = it must fail, as in transformers).
type fileCase struct {
	name     string
	model    string // tokenizer: an installed model, or "tiny" (fast to load under -race)
	cfg      any    // tokenizer_config.json chat_template
	files    map[string]string
	requests []string // chattmpl request lines (ParseRequest)
	want     []string
}

// TestTemplateFilesOracle: models whose chat templates are
// files (chat_template.jinja alone, overriding tokenizer_config.json, with
// additional_chat_templates/) render every request as transformers
// renders it (render.py reading the directory with transformers' rules,
// real python3-jinja2), byte for byte, with transformers' selection
// (tool_use with tools, default without, a per-request name, a literal
// per-request template), and count as the HF library counts Python's
// rendering.
func TestTemplateFilesOracle(t *testing.T) {
	tokoracle.Differential(t)
	script := requirePython(t)
	if err := tokoracle.Available(); err != nil {
		t.Skip(err)
	}
	llama3, qwen3, llama31 := shippedTemplate(t, "llama3"), shippedTemplate(t, "qwen3"), shippedTemplate(t, "llama3_1")
	const (
		llama3Mark = "<|start_header_id|>user<|end_header_id|>"
		qwenMark   = "<|im_start|>user"
		toolsMark  = "<tools>" // qwen3's tool section
		decoy      = "DECOY {{ messages | length }}"
	)
	user := `{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in Paris?"}]}`
	tools := `{"messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]}`
	named := func(name string) string {
		return `{"messages": [{"role": "user", "content": "Weather in Paris?"}], "chat_template": ` + mustJSON(name) + `}`
	}
	assistant := `{"assistant": {"content": "It is sunny.", "reasoning_content": "look it up"}}`
	cases := []fileCase{
		{
			name: "only chat_template.jinja", model: "gptoss", cfg: nil,
			files:    map[string]string{"chat_template.jinja": qwen3},
			requests: []string{user, tools, assistant},
			want:     []string{qwenMark, toolsMark, "It is sunny."},
		},
		{
			name: "chat_template.jinja overrides the config", model: "llama3", cfg: llama3,
			files:    map[string]string{"chat_template.jinja": qwen3, "chat_template.json": `{"chat_template": "` + decoy + `"}`},
			requests: []string{user, tools, named("tool_use")},
			want:     []string{qwenMark, toolsMark, "tool_use"},
		},
		{
			name: "additional tool_use", model: "llama3", cfg: decoy,
			files:    map[string]string{"chat_template.jinja": llama3, "additional_chat_templates/tool_use.jinja": qwen3, "additional_chat_templates/notes.txt": decoy},
			requests: []string{user, tools, named("tool_use"), named("default"), named("rag"), named("{{ messages[0].content }}!"), assistant},
			want:     []string{llama3Mark, toolsMark, qwenMark, llama3Mark, "rag", "Weather in Paris?!", "It is sunny."},
		},
		{
			name: "additional only, no default", model: "tiny", cfg: llama31,
			files:    map[string]string{"additional_chat_templates/tool_use.jinja": qwen3},
			requests: []string{tools, user, named("tool_use")},
			want:     []string{toolsMark, "", qwenMark},
		},
		{
			name: "additional default.jinja alone is the single template", model: "tiny", cfg: decoy,
			files:    map[string]string{"additional_chat_templates/default.jinja": qwen3},
			requests: []string{user, named("default")},
			want:     []string{qwenMark, "default"},
		},
		{
			name: "additional file.jinja takes chat_template.jinja's key", model: "tiny", cfg: decoy,
			files:    map[string]string{"chat_template.jinja": decoy, "additional_chat_templates/file.jinja": qwen3, "additional_chat_templates/tool_use.jinja": "TOOLS {{ tools | length }}"},
			requests: []string{user, tools, named("file")},
			want:     []string{qwenMark, "TOOLS 1", "file"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := tokoracle.Lookup(c.model)
			if c.model == "tiny" {
				m, err = tinyModel()
			}
			if err != nil {
				t.Skip(err)
			}
			dir := modelDirWith(t, m, c.cfg, c.files)
			checkDirLikeTransformers(t, script, m, dir, c.requests, c.want)
		})
	}
}

// tinyModel is the small byte-level BPE fixture of cmd/aggregator's tests
// (no tokenizer_config.json), for the cases where the vocabulary does not
// matter.
func tinyModel() (tokoracle.Model, error) {
	root, err := tokoracle.RepoRoot()
	if err != nil {
		return tokoracle.Model{}, err
	}
	return tokoracle.Model{Name: "tiny", Dir: filepath.Join(root, "cmd", "aggregator", "testdata", "tokens", "tiny")}, nil
}

// checkDirLikeTransformers renders and counts the requests with the model
// directory in Go (tokenize.LoadDir, Counter) and in render.py (real
// Jinja2) + the HF library, and compares.
func checkDirLikeTransformers(t *testing.T, script string, m tokoracle.Model, dir string, requests, want []string) {
	t.Helper()
	tok, err := tokenize.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCounter(tok)
	if err != nil {
		t.Fatal(err)
	}
	cfg := mustJSON(dir)
	lines := []string{`{"op":"prefix","config":` + cfg + `}`, `{"op":"with_assistant","config":` + cfg + `}`}
	for _, r := range requests {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(r), &obj); err != nil {
			t.Fatal(err)
		}
		if a, ok := obj["assistant"]; ok {
			lines = append(lines, `{"op":"message","config":`+cfg+`,`+strings.TrimPrefix(string(a), "{"))
		} else {
			lines = append(lines, `{"op":"prompt","config":`+cfg+`,`+strings.TrimPrefix(r, "{"))
		}
	}
	res := pyRender(t, script, lines)
	hfCount := hfCounts(t, m, res)
	prefix, base := 0, 0
	if res[0].Text != nil && res[1].Text != nil {
		prefix = hfCount[*res[0].Text]
		base = hfCount[*res[1].Text] - prefix
	}
	if p, b, _ := c.Baseline(); p != prefix || b != base {
		t.Errorf("prefix/baseline %d/%d, transformers + HF %d/%d", p, b, prefix, base)
	}
	for i, line := range requests {
		py := res[i+2]
		req, err := ParseRequest(line)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		var n int
		var rerr, cerr error
		if req.Message != nil {
			got, rerr = c.RenderMessage(*req.Message)
			n, cerr = c.CountMessage(*req.Message)
		} else {
			got, rerr = c.RenderPrompt(*req.Prompt)
			n, cerr = c.CountPrompt(*req.Prompt)
		}
		switch {
		case want[i] == "":
			if py.Text != nil || rerr == nil {
				t.Errorf("request %d: want a failure in both; Python %q (%s), Go %q (%v)", i, ptr(py.Text), py.Error, got, rerr)
			}
			continue
		case py.Text == nil:
			t.Errorf("request %d: Python raised %s", i, py.Error)
			continue
		case !strings.Contains(*py.Text, want[i]):
			t.Errorf("request %d: transformers rendered %q, which lacks %q: wrong template selected", i, *py.Text, want[i])
		}
		if rerr != nil || got != *py.Text {
			t.Errorf("request %d: Go %q (%v)\nPython %q", i, got, rerr, *py.Text)
			continue
		}
		wantN := hfCount[*py.Text]
		if req.Message != nil {
			wantN = max(0, wantN-prefix-base)
		}
		if cerr != nil || n != wantN {
			t.Errorf("request %d: count %d (%v), transformers + HF %d", i, n, cerr, wantN)
		}
	}
}
