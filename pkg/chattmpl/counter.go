package chattmpl

import (
	"errors"
	"fmt"

	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
)

// maxCompiled bounds the per-Counter cache of compiled templates
// (per-request templates are usually one or two distinct strings).
const maxCompiled = 32

// Counter renders and counts structured prompts and assistant messages as
// upstream's BatchTokenizer does. A Counter is for one goroutine at a time
// (it owns a tokenize.Counter).
type Counter struct {
	cfg      *tokenize.Config
	tok      *tokenize.Counter
	special  []pyvalue.KV
	compiled map[string]compiled

	prefixLen, baseline int
	baselineErr         error
	configErr           error // malformed special tokens: every render fails

	buf []byte // fallback-text scratch
}

type compiled struct {
	t   *Template
	err error
}

// prefixUser is upstream's _PREFIX_USER_MSG.
func prefixUser() pyvalue.Value { return pyvalue.MapOf("role", "user", "content", "") }

// NewCounter returns a Counter for tok's tokenizer_config.json. Like
// upstream's _load_tokenizer it measures the prefix ([user ""]) and the
// baseline ([user "", assistant ""] minus the prefix); if either render
// fails both are 0 (see Baseline). When the config's special tokens are
// malformed it returns that error together with a usable Counter that
// counts texts and falls back for every structured item (transformers
// would fail every render of such a tokenizer).
func NewCounter(tok *tokenize.Tokenizer) (*Counter, error) {
	c := &Counter{cfg: tok.Config(), tok: tok.NewCounter(), compiled: map[string]compiled{}}
	c.special, c.configErr = SpecialTokens(tok.Config())
	c.prefixLen, c.baseline, c.baselineErr = c.measureBaseline()
	return c, c.configErr
}

func (c *Counter) measureBaseline() (int, int, error) {
	prefix, err := c.countMessages([]pyvalue.Value{prefixUser()})
	if err != nil {
		return 0, 0, fmt.Errorf("chat-template baseline: %w", err)
	}
	with, err := c.countMessages([]pyvalue.Value{prefixUser(), pyvalue.MapOf("role", "assistant", "content", "")})
	if err != nil {
		return 0, 0, fmt.Errorf("chat-template baseline: %w", err)
	}
	return prefix, with - prefix, nil
}

// Baseline returns the prefix length and the baseline subtracted from
// message counts, and the error that made them 0, if any.
func (c *Counter) Baseline() (prefixLen, baseline int, err error) {
	return c.prefixLen, c.baseline, c.baselineErr
}

func (c *Counter) countMessages(msgs []pyvalue.Value) (int, error) {
	text, err := c.render(nil, RenderContext{Messages: msgs})
	if err != nil {
		return 0, err
	}
	return c.count(text)
}

func (c *Counter) count(text string) (int, error) {
	n, err := c.tok.CountErr(text)
	if err != nil {
		return 0, fmt.Errorf("tokenize rendered chat: %w", err)
	}
	return n, nil
}

// template returns the compiled template for src, from the cache.
func (c *Counter) template(src string) (*Template, error) {
	if e, ok := c.compiled[src]; ok {
		return e.t, e.err
	}
	if len(c.compiled) >= maxCompiled {
		clear(c.compiled)
	}
	t, err := Compile(src)
	c.compiled[src] = compiled{t, err}
	return t, err
}

// render selects, compiles and renders with the special tokens prepended
// to ctx.Vars.
func (c *Counter) render(perRequest *string, ctx RenderContext) (string, error) {
	if c.configErr != nil {
		return "", c.configErr
	}
	src, err := Select(c.cfg, perRequest, ctx.Tools != nil)
	if err != nil {
		return "", err
	}
	t, err := c.template(src)
	if err != nil {
		return "", err
	}
	vars := make([]pyvalue.KV, 0, len(c.special)+len(ctx.Vars))
	ctx.Vars = append(append(vars, c.special...), ctx.Vars...)
	return t.Render(ctx)
}

// MessageContext returns the render input of upstream's
// _token_count_message: [_PREFIX_USER_MSG, {"role": "assistant",
// "content": content, "reasoning_content": reasoning if truthy,
// "tool_calls": normalized tool calls if truthy}] without a generation
// prompt.
func MessageContext(m events.MessageParts) (RenderContext, error) {
	msg := pyvalue.MapOf("role", "assistant", "content", m.Content)
	if m.Reasoning != nil && *m.Reasoning != "" {
		msg.Set(pyvalue.Str("reasoning_content"), pyvalue.Str(*m.Reasoning))
	}
	if len(m.ToolCalls) > 0 {
		tcs, err := NormalizeToolCalls(m.ToolCalls)
		if err != nil {
			return RenderContext{}, fmt.Errorf("%w: %w", ErrNormalize, err)
		}
		msg.Set(pyvalue.Str("tool_calls"), pyvalue.ArrayOf(tcs...))
	}
	return RenderContext{Messages: []pyvalue.Value{prefixUser(), msg}}, nil
}

// RenderMessage renders an assistant message as _token_count_message does.
func (c *Counter) RenderMessage(m events.MessageParts) (string, error) {
	ctx, err := MessageContext(m)
	if err != nil {
		return "", err
	}
	return c.render(nil, ctx)
}

// CountMessage is upstream's _token_count_message without the fallback:
// the tokens of the rendered [prefix user, assistant] conversation minus
// the prefix and the baseline, floored at 0. An error means upstream
// would fall back to its plain text (AppendMessageFallback).
func (c *Counter) CountMessage(m events.MessageParts) (int, error) {
	text, err := c.RenderMessage(m)
	if err != nil {
		return 0, err
	}
	n, err := c.count(text)
	if err != nil {
		return 0, err
	}
	return max(0, n-c.prefixLen-c.baseline), nil
}

// ErrNormalize marks an error normalizing tool calls (a tool call or its
// function that is not a dict, arguments nested too deeply). Upstream
// normalizes before its try block, so the item fails instead of falling
// back to a plain text.
var ErrNormalize = errors.New("normalize tool calls")

// applyParams are apply_chat_template's named parameters: a
// chat_template_kwargs key with one of these names is consumed by
// apply_chat_template instead of reaching the template.
var applyParams = map[string]bool{
	"conversation": true, "tools": true, "documents": true, "chat_template": true,
	"add_generation_prompt": true, "continue_final_message": true, "tokenize": true,
	"padding": true, "truncation": true, "max_length": true, "return_tensors": true,
	"return_dict": true, "return_assistant_tokens_mask": true, "tokenizer_kwargs": true,
}

// unsupportedParams change the output in ways this package does not
// reproduce; a truthy value is an error.
var unsupportedParams = map[string]bool{
	"continue_final_message": true, "padding": true, "truncation": true, "max_length": true,
	"return_assistant_tokens_mask": true, "conversation": true,
}

// PromptContext returns the template selection and render input of
// upstream's _token_count_prompt: the messages normalized, tools (None
// when absent), add_generation_prompt=True, then chat_template_kwargs and
// tool_choice as template kwargs. Keys of chat_template_kwargs that are
// apply_chat_template parameters are consumed as such (tools, documents,
// chat_template; tokenize and return_dict are overridden by upstream).
func PromptContext(p events.PromptData) (perRequest *string, ctx RenderContext, err error) {
	if len(p.Messages) == 0 {
		// transformers reads conversation[0] and raises IndexError.
		return nil, ctx, errors.New("empty message list")
	}
	if ctx.Messages, err = NormalizeMessages(p.Messages); err != nil {
		return nil, RenderContext{}, fmt.Errorf("%w: %w", ErrNormalize, err)
	}
	ctx.AddGenerationPrompt = true
	perRequest = p.ChatTemplate
	var kwTools, kwDocs *pyvalue.Value
	var kwTemplate *string
	if p.ChatTemplateKwargs != nil {
		kw := *p.ChatTemplateKwargs
		if kw.Kind != pyvalue.KindMap {
			return nil, ctx, errors.New("chat_template_kwargs is not a dict")
		}
		for _, e := range kw.Map {
			if e.Key.Kind != pyvalue.KindStr {
				return nil, ctx, errors.New("chat_template_kwargs has a non-string key")
			}
			name := e.Key.Str
			switch {
			case unsupportedParams[name]:
				if e.Value.Truthy() {
					return nil, ctx, fmt.Errorf("chat_template_kwargs %q is not supported", name)
				}
			case name == "tools":
				v := e.Value
				kwTools = &v
			case name == "documents":
				v := e.Value
				kwDocs = &v
			case name == "chat_template":
				if e.Value.Kind == pyvalue.KindStr {
					s := e.Value.Str
					kwTemplate = &s
				} else if e.Value.Kind != pyvalue.KindNil {
					return nil, ctx, errors.New("chat_template_kwargs chat_template is not a string")
				}
			case applyParams[name]:
				// tokenize, return_dict, add_generation_prompt, ...:
				// overridden by upstream or without effect on the text.
			default:
				ctx.Vars = append(ctx.Vars, e)
			}
		}
	}
	switch {
	case p.Tools != nil:
		ctx.Tools = p.Tools
	case kwTools != nil && kwTools.Kind != pyvalue.KindNil:
		if kwTools.Kind != pyvalue.KindArray {
			return nil, ctx, errors.New("chat_template_kwargs tools is not a list")
		}
		ctx.Tools = kwTools.Array
		if ctx.Tools == nil {
			ctx.Tools = []pyvalue.Value{}
		}
	}
	if kwDocs != nil && kwDocs.Kind != pyvalue.KindNil {
		if kwDocs.Kind != pyvalue.KindArray {
			return nil, ctx, errors.New("chat_template_kwargs documents is not a list")
		}
		ctx.Documents = append([]pyvalue.Value{}, kwDocs.Array...)
	}
	if perRequest == nil {
		perRequest = kwTemplate
	}
	if p.ToolChoice != nil {
		ctx.Vars = append(ctx.Vars, pyvalue.KV{Key: pyvalue.Str("tool_choice"), Value: *p.ToolChoice})
	}
	return perRequest, ctx, nil
}

// RenderPrompt renders a structured prompt as _token_count_prompt does.
func (c *Counter) RenderPrompt(p events.PromptData) (string, error) {
	perRequest, ctx, err := PromptContext(p)
	if err != nil {
		return "", err
	}
	return c.render(perRequest, ctx)
}

// CountPrompt is upstream's _token_count_prompt without the fallback: the
// tokens of the rendered prompt. An error means upstream would fall back
// to its JSON text (AppendPromptFallback).
func (c *Counter) CountPrompt(p events.PromptData) (int, error) {
	text, err := c.RenderPrompt(p)
	if err != nil {
		return 0, err
	}
	return c.count(text)
}
