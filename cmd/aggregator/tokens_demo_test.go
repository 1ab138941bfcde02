package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/internal/demotok"
)

// TestTokensCountDemoTokenizer: `tokens count --tokenizer DIR` on a
// directory the embedded demo tokenizer was written to counts as the HF
// library does (counts and --ids), and --chat renders its chat template
// (prompts with tools, assistant messages with reasoning and tool calls)
// as pkg/chattmpl does (whose agreement with Jinja2 + HF on this template
// is chattmpl's TestOracle).
func TestTokensCountDemoTokenizer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := demotok.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	matchOracle(t, dir)

	lines := []string{
		`{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "héllo 世界"}]}`,
		`{"messages": [{"role": "user", "content": "Weather?"}], "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}], "chat_template_kwargs": {"enable_thinking": false}}`,
		`{"assistant": {"content": "42", "reasoning_content": "6*7"}}`,
		`{"assistant": {"content": "", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]}}`,
		`{"assistant": {"content": ""}}`,
	}
	var want strings.Builder
	for _, n := range chatCounts(t, dir, lines) {
		fmt.Fprintf(&want, "%d\n", n)
	}
	got, stderr, err := runTokens(t, tokensEnv(t), joinLines(lines), "--chat", "--no-fallback", "--tokenizer", dir)
	if err != nil {
		t.Fatalf("tokens count --chat: %v\n%s", err, stderr)
	}
	if got != want.String() {
		t.Fatalf("got\n%s\nwant\n%s", got, want.String())
	}
	if ls := strings.Split(got, "\n"); ls[4] != "0" {
		t.Errorf("empty assistant message: %s tokens after the baseline, want 0", ls[4])
	}
}
