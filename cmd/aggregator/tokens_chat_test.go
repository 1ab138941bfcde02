package main

import (
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
	dir := llama3Dir(t)
	lines := []string{
		`{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "héllo"}]}`,
		`{"messages": [{"role": "user", "content": "hi"}], "tools": null, "chat_template_kwargs": {"x": 1}, "tool_choice": "auto"}`,
		`{"assistant": {"content": "The answer is 42.", "reasoning_content": null}}`,
		`{"assistant": {"content": ""}}`,
		`{"messages": [{"role": "user", "content": "a"}], "chat_template": "{{ messages[0].content }}|{{ tool_choice }}"}`,
	}
	tok, err := tokenize.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := chattmpl.NewCounter(tok)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
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

// TestTokensCountChatFatal: render failures, bad lines and bad flag
// combinations are one FATAL line naming the input line.
func TestTokensCountChatFatal(t *testing.T) {
	dir := llama3Dir(t)
	env := tokensEnv(t)
	for _, tc := range []struct {
		stdin string
		args  []string
		want  []string
	}{
		{`{"messages": [{"role": "user", "content": "x"}], "chat_template": "{{ raise_exception('bad turn') }}"}` + "\n", []string{"--no-fallback"}, []string{"<stdin>:1", "bad turn"}},
		{`{"messages": [{"role": "user", "content": "x"}]}` + "\n" + `{"messages": [], "tool": []}` + "\n", nil, []string{"<stdin>:2", `unknown key "tool"`}},
		{`{"assistant": {"content": 3}}` + "\n", nil, []string{"<stdin>:1", "content"}},
		{`[1]` + "\n", nil, []string{"<stdin>:1", "JSON object"}},
		{`{"messages": []}` + "\n", []string{"--no-fallback"}, []string{"<stdin>:1", "empty message list"}},
		{"", []string{"--ids"}, []string{"--chat cannot be combined"}},
	} {
		args := append([]string{"--chat", "--tokenizer", dir}, tc.args...)
		_, stderr, err := runTokens(t, env, tc.stdin, args...)
		fatalLine(t, stderr, err, tc.want...)
	}
}

// TestTokensCountChatNoTemplate: with a tokenizer without a chat template a
// line is counted through upstream's fallback text (the msgspec JSON of the
// prompt), as the daemon counts it, with a warning; --no-fallback makes it
// an error; a line that brings its own template is rendered.
func TestTokensCountChatNoTemplate(t *testing.T) {
	dir := tinyDir(t)
	env := tokensEnv(t)
	line := `{"messages": [{"role": "user", "content": "x"}]}` + "\n"
	_, stderr, err := runTokens(t, env, line, "--chat", "--no-fallback", "--tokenizer", dir)
	fatalLine(t, stderr, err, "<stdin>:1", "no chat template")
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
