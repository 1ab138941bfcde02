package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/chattmpl"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
)

// TestTokensCountChat: --chat prints, per line, the count chattmpl gives
// for the prompt or the assistant message (whose agreement with
// transformers + HF tokenizers is pkg/chattmpl's oracle test).
func TestTokensCountChat(t *testing.T) {
	t.Parallel()
	dir := llama3Dir(t)
	lines := []string{
		`{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "héllo"}]}`,
		`{"messages": [{"role": "user", "content": "hi"}], "tools": null, "chat_template_kwargs": {"x": 1}, "tool_choice": "auto"}`,
		`{"assistant": {"content": "The answer is 42.", "reasoning_content": null}}`,
		`{"assistant": {"content": ""}}`,
		`{"messages": [{"role": "user", "content": "a"}], "chat_template": "{{ messages[0].content }}|{{ tool_choice }}"}`,
	}
	var want strings.Builder
	for _, n := range chatCounts(t, dir, lines) {
		fmt.Fprintf(&want, "{\"count\": %d}\n", n)
	}
	got := mustRunTokens(t, tokensEnv(t), joinLines(lines), "--chat", "--json-out", "--tokenizer", dir)
	if got != want.String() {
		t.Fatalf("got\n%s\nwant\n%s", got, want.String())
	}
	// Fixed points: an empty assistant message is 0 after the baseline;
	// the per-request template renders "a|None" (None printed as Python).
	if ls := strings.Split(got, "\n"); ls[3] != `{"count": 0}` {
		t.Errorf("empty assistant: %s", ls[3])
	}
}

// TestTokensCountChatBadLines: a line that is not a request, or that the
// template cannot render under --no-fallback, gets an error answer and a
// warning naming it; the other lines are counted; the run exits 1. Only
// a bad flag combination stops the run at once.
func TestTokensCountChatBadLines(t *testing.T) {
	t.Parallel()
	dir := llama3Dir(t)
	env := tokensEnv(t)
	const ok = `{"messages": [{"role": "user", "content": "x"}]}`
	want := mustRunTokens(t, env, ok+"\n", "--chat", "--json-out", "--tokenizer", dir)
	bad := []struct{ line, want string }{
		{`{"messages": [{"role": "user", "content": "x"}], "chat_template": "{{ raise_exception('bad turn') }}"}`, "bad turn"},
		{`{"messages": [], "tool": []}`, `unknown key \"tool\"`},
		{`{"assistant": {"content": 3}}`, "content"},
		{`[1]`, "JSON object"},
		{`{"messages": []}`, "empty message list"},
		{`{"messages": [{"role": "user", "content": "x"}], "chat_template": "{{ range(10**9) | length }}"}`, "OverflowError"},
	}
	in := ok + "\n"
	for _, b := range bad {
		in += b.line + "\n" + ok + "\n"
	}
	out, stderr, err := runTokens(t, env, in, "--chat", "--json-out", "--no-fallback", "--tokenizer", dir)
	failedRun(t, stderr, err, len(bad), 2*len(bad)+1, "<stdin>:2", "<stdin>:4", "<stdin>:6")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2*len(bad)+1 {
		t.Fatalf("%d answers for %d lines:\n%s", len(lines), 2*len(bad)+1, out)
	}
	for i, l := range lines {
		switch {
		case i%2 == 0 && l+"\n" != want:
			t.Errorf("line %d: %q, want %q", i+1, l, want)
		case i%2 == 1 && (!strings.HasPrefix(l, `{"error": "`) || !strings.Contains(l, bad[i/2].want)):
			t.Errorf("line %d: %q, want an error mentioning %q", i+1, l, bad[i/2].want)
		}
		if i%2 == 1 && !strings.Contains(stderr, fmt.Sprintf("at=<stdin>:%d ", i+1)) {
			t.Errorf("no warning naming <stdin>:%d", i+1)
		}
	}
	_, stderr, err = runTokens(t, env, "", "--chat", "--ids", "--tokenizer", dir)
	fatalLine(t, stderr, err, "--chat cannot be combined with --ids")
}

// TestTokensCountChatJSONL: --chat --jsonl is --chat (its lines are JSON
// lines).
func TestTokensCountChatJSONL(t *testing.T) {
	t.Parallel()
	dir := llama3Dir(t)
	env := tokensEnv(t)
	in := `{"messages": [{"role": "user", "content": "héllo"}]}` + "\n" + `{"assistant": {"content": "The answer is 42."}}` + "\n"
	want := mustRunTokens(t, env, in, "--chat", "--tokenizer", dir)
	if got := mustRunTokens(t, env, in, "--chat", "--jsonl", "--tokenizer", dir); got != want || strings.Count(got, "\n") != 2 {
		t.Errorf("--chat --jsonl %q, --chat %q", got, want)
	}
}

// TestTokensCountChatSandbox: templates Jinja2's sandbox refuses (a
// range() beyond 100,000 items, runaway recursion of a macro or of a
// recursive loop; pkg/chattmpl's sandbox test shows Python raising on
// them) neither crash nor hang `tokens count --chat`: each is counted
// through upstream's fallback text, as the daemon counts it.
func TestTokensCountChatSandbox(t *testing.T) {
	t.Parallel()
	dir := llama3Dir(t)
	env := tokensEnv(t)
	var in strings.Builder
	for _, tmpl := range []string{
		`{% for i in range(10**9) %}{{ i }}{% endfor %}`,
		`{% set xs = range(100001) | list %}{{ xs | length }}`,
		`{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}`,
		`{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}`,
		`{{ ` + strings.Repeat("(", 200000) + `1` + strings.Repeat(")", 200000) + ` }}`,
	} {
		js, _ := json.Marshal(map[string]any{"messages": []map[string]string{{"role": "user", "content": "x"}}, "chat_template": tmpl})
		in.Write(js)
		in.WriteByte('\n')
	}
	out, stderr, err := runTokens(t, env, in.String(), "--chat", "--tokenizer", dir)
	if err != nil {
		t.Fatalf("exit %v\n%s", err, stderr)
	}
	fallback := mustRunTokens(t, env, `{"text": "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"}`+"\n", "--jsonl", "--tokenizer", dir)
	if want := strings.Repeat(fallback, 5); out != want {
		t.Errorf("counts %q, want the fallback text's %q each", out, want)
	}
	for _, reason := range []string{"OverflowError", "RecursionError"} {
		if !strings.Contains(stderr, reason) {
			t.Errorf("no fallback warning with %s:\n%s", reason, stderr)
		}
	}
}

// TestTokensCountChatNoTemplate: with a tokenizer without a chat template a
// line is counted through upstream's fallback text (the msgspec JSON of the
// prompt), as the daemon counts it, with a warning; --no-fallback makes it
// an error; a line that brings its own template is rendered.
func TestTokensCountChatNoTemplate(t *testing.T) {
	t.Parallel()
	dir := tinyDir(t)
	env := tokensEnv(t)
	line := `{"messages": [{"role": "user", "content": "x"}]}` + "\n"
	_, stderr, err := runTokens(t, env, line, "--chat", "--no-fallback", "--tokenizer", dir)
	failedRun(t, stderr, err, 1, 1, "<stdin>:1")
	if !strings.Contains(stderr, "no chat template") {
		t.Errorf("no warning saying why:\n%s", stderr)
	}
	got, stderr, err := runTokens(t, env, line, "--chat", "--tokenizer", dir)
	if err != nil || !strings.Contains(stderr, "fallback") {
		t.Fatalf("fallback run: %v\n%s", err, stderr)
	}
	want := mustRunTokens(t, env, `{"text": "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"}`+"\n", "--jsonl", "--tokenizer", dir)
	if got != want {
		t.Errorf("fallback count %q, want the fallback text's %q", got, want)
	}
	out := mustRunTokens(t, env, `{"messages": [{"role": "user", "content": "x"}], "chat_template": "{{ messages[0].content }}"}`+"\n", "--chat", "--tokenizer", dir)
	if strings.TrimSpace(out) == "" {
		t.Fatal("no count printed")
	}
}

// chatCounts counts each --chat line in process, as pkg/chattmpl does
// (what `tokens count --chat` must print), failing on any error.
func chatCounts(t *testing.T, dir string, lines []string) []int {
	t.Helper()
	tok, err := tokenize.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := chattmpl.NewCounter(tok)
	if err != nil {
		t.Fatal(err)
	}
	var counts []int
	for _, l := range lines {
		req, err := chattmpl.ParseRequest(l)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if req.Message != nil {
			n, err = c.CountMessage(*req.Message)
		} else {
			n, err = c.CountPrompt(*req.Prompt)
		}
		if err != nil {
			t.Fatal(err)
		}
		counts = append(counts, n)
	}
	return counts
}
