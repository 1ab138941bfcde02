package chattmpl

import (
	"errors"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
)

func render(t *testing.T, src string, ctx RenderContext) string {
	t.Helper()
	tmpl, err := Compile(src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.Render(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCompileNewlines: Jinja2's lexer drops one trailing newline and turns
// "\r\n" and "\r" into "\n".
func TestCompileNewlines(t *testing.T) {
	for src, want := range map[string]string{"a\n": "a", "a\n\n": "a\n", "a\r\nb\rc\r\n": "a\nb\nc", "a": "a"} {
		if got := render(t, src, RenderContext{}); got != want {
			t.Errorf("%q: got %q want %q", src, got, want)
		}
	}
}

// TestRenderContext: tools/documents None when absent, kwargs override
// earlier vars, collisions with render()'s own names fail.
func TestRenderContext(t *testing.T) {
	got := render(t, "{{ tools }} {{ documents }} {{ add_generation_prompt }} {{ x }}", RenderContext{
		AddGenerationPrompt: true,
		Vars:                []pyvalue.KV{{Key: pyvalue.Str("x"), Value: pyvalue.Int(1)}, {Key: pyvalue.Str("x"), Value: pyvalue.Float(2)}},
	})
	if got != "None None True 2.0" {
		t.Errorf("got %q", got)
	}
	tmpl, _ := Compile("x")
	if _, err := tmpl.Render(RenderContext{Vars: []pyvalue.KV{{Key: pyvalue.Str("messages"), Value: pyvalue.Nil()}}}); err == nil {
		t.Error("kwarg messages: want error")
	}
	if _, err := tmpl.Render(RenderContext{Messages: []pyvalue.Value{pyvalue.Str("x")}}); err == nil {
		t.Error("non-dict message: want error")
	}
}

func TestSelect(t *testing.T) {
	named := &tokenize.Config{ChatTemplates: map[string]string{"default": "D", "tool_use": "T"}}
	s := func(p string) *string { return &p }
	for _, tc := range []struct {
		cfg   *tokenize.Config
		req   *string
		tools bool
		want  string
	}{
		{named, nil, false, "D"},
		{named, nil, true, "T"},
		{named, s("tool_use"), false, "T"},
		{named, s("{{ x }}"), true, "{{ x }}"},
		{&tokenize.Config{ChatTemplates: map[string]string{"rag": "R", "tool_use": "T"}}, nil, true, "T"},
	} {
		got, err := Select(tc.cfg, tc.req, tc.tools)
		if err != nil || got != tc.want {
			t.Errorf("Select(%v, %v, %v) = %q, %v; want %q", tc.cfg.ChatTemplates, tc.req, tc.tools, got, err, tc.want)
		}
	}
	if _, err := Select(&tokenize.Config{ChatTemplates: map[string]string{"rag": "R"}}, nil, false); err == nil {
		t.Error("named without default: want error")
	}
	if _, err := Select(&tokenize.Config{}, nil, false); !errors.Is(err, ErrNoTemplate) {
		t.Errorf("no template: %v", err)
	}
}

func TestNormalizeToolCalls(t *testing.T) {
	tc := pyvalue.MapOf("id", "c1", "function", pyvalue.MapOf("arguments", `{"b": 1, "a": 2.0}`, "name", "f"))
	out, err := NormalizeToolCalls([]pyvalue.Value{tc, pyvalue.MapOf("function", pyvalue.MapOf("arguments", "[1]"))})
	if err != nil {
		t.Fatal(err)
	}
	js := string(pyvalue.AppendJSON(nil, pyvalue.ArrayOf(out...)))
	if want := `[{"id":"c1","function":{"arguments":{"b":1,"a":2.0},"name":"f"}},{"function":{"arguments":"[1]"}}]`; js != want {
		t.Errorf("got %s\nwant %s", js, want)
	}
	if _, err := NormalizeToolCalls([]pyvalue.Value{pyvalue.Str("x")}); err == nil {
		t.Error("non-dict tool call: want error")
	}
}
