package chattmpl

import (
	"fmt"
	"strings"

	"github.com/ardanlabs/jinja"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// Template is a compiled chat template. It is safe for concurrent use.
type Template struct {
	t *jinja.Template
}

// Compile compiles a chat template source. Like Jinja2's lexer
// (keep_trailing_newline=False, newline_sequence="\n"), every "\r\n", "\r"
// and "\n" of the source becomes "\n" and one trailing newline is dropped.
// The environment is transformers': trim_blocks, lstrip_blocks, loop
// controls, raise_exception, strftime_now and its tojson, all of which the
// library provides by default.
func Compile(src string) (*Template, error) {
	t, err := jinja.Compile(normalizeSource(src))
	if err != nil {
		return nil, fmt.Errorf("compile chat template: %w", err)
	}
	return &Template{t: t}, nil
}

// normalizeSource applies Jinja2's lexer newline handling to the source.
func normalizeSource(src string) string {
	if strings.IndexByte(src, '\r') >= 0 {
		src = strings.ReplaceAll(src, "\r\n", "\n")
		src = strings.ReplaceAll(src, "\r", "\n")
	}
	return strings.TrimSuffix(src, "\n")
}

// RenderContext is what transformers' render_jinja_template passes to
// the template: render(messages=..., tools=..., documents=...,
// add_generation_prompt=..., **template_kwargs).
type RenderContext struct {
	Messages            []pyvalue.Value // the conversation, each a dict
	Tools               []pyvalue.Value // nil: None
	Documents           []pyvalue.Value // nil: None
	AddGenerationPrompt bool
	// Vars are the template kwargs (special tokens, then request kwargs)
	// in order; a later duplicate key wins, as in a Python dict merge.
	// Keys must be strings.
	Vars []pyvalue.KV
}

// reserved are the names render_jinja_template passes explicitly: a kwarg
// with one of these names makes Python raise TypeError (multiple values
// for keyword argument).
var reserved = map[string]bool{"messages": true, "tools": true, "documents": true, "add_generation_prompt": true}

// Render renders the template with ctx.
func (t *Template) Render(ctx RenderContext) (string, error) {
	data := make(map[string]jinja.Value, 4+len(ctx.Vars))
	msgs, err := toJinjaList(ctx.Messages, "messages")
	if err != nil {
		return "", err
	}
	data["messages"] = msgs
	data["tools"] = jinja.None()
	if ctx.Tools != nil {
		if data["tools"], err = toJinjaList(ctx.Tools, "tools"); err != nil {
			return "", err
		}
	}
	data["documents"] = jinja.None()
	if ctx.Documents != nil {
		if data["documents"], err = toJinjaList(ctx.Documents, "documents"); err != nil {
			return "", err
		}
	}
	data["add_generation_prompt"] = jinja.NewBool(ctx.AddGenerationPrompt)
	for _, kv := range ctx.Vars {
		if kv.Key.Kind != pyvalue.KindStr {
			return "", fmt.Errorf("template kwarg key is not a string (kind %d)", kv.Key.Kind)
		}
		if reserved[kv.Key.Str] {
			return "", fmt.Errorf("template kwarg %q collides with render()'s own argument (TypeError in Python)", kv.Key.Str)
		}
		v, err := toJinja(kv.Value, 0)
		if err != nil {
			return "", fmt.Errorf("template kwarg %q: %w", kv.Key.Str, err)
		}
		data[kv.Key.Str] = v
	}
	out, err := t.t.RenderValues(data)
	if err != nil {
		return "", fmt.Errorf("render chat template: %w", err)
	}
	return out, nil
}

func toJinjaList(vs []pyvalue.Value, what string) (jinja.Value, error) {
	items := make([]jinja.Value, len(vs))
	for i, v := range vs {
		if v.Kind != pyvalue.KindMap {
			return jinja.Value{}, fmt.Errorf("%s[%d] is not a dict", what, i)
		}
		var err error
		if items[i], err = toJinja(v, 1); err != nil {
			return jinja.Value{}, fmt.Errorf("%s[%d]: %w", what, i, err)
		}
	}
	return jinja.NewList(items), nil
}
