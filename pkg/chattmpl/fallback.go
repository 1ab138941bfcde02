package chattmpl

import (
	"fmt"

	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// Upstream counts a structured input through a plain text when its chat
// template cannot be applied (BatchTokenizer._token_count_message and
// _token_count_prompt, the `except` branches). These are those texts.

// AppendMessageFallback appends the fallback text of an assistant message:
// "\n".join of the non-empty items of content, reasoning and
// msgspec-JSON(list(tool_calls)). The tool calls are the raw ones, not the
// normalized ones, as upstream encodes them.
func AppendMessageFallback(dst []byte, m events.MessageParts) ([]byte, error) {
	sep := false
	add := func(s string) {
		if s == "" {
			return
		}
		if sep {
			dst = append(dst, '\n')
		}
		dst = append(dst, s...)
		sep = true
	}
	add(m.Content)
	if m.Reasoning != nil {
		add(*m.Reasoning)
	}
	if len(m.ToolCalls) > 0 {
		// msgspec encodes first; only then are the parts joined.
		js, err := pyvalue.EncodeJSON(nil, pyvalue.ArrayOf(m.ToolCalls...))
		if err != nil {
			return dst, fmt.Errorf("encode tool_calls: %w", err)
		}
		add(string(js))
	}
	return dst, nil
}

// AppendPromptFallback appends the fallback text of a structured prompt:
// msgspec-JSON({"messages": normalized, "tools": tools}), "tools" only when
// not None. normalized are the messages after NormalizeMessages (upstream
// normalizes before its try block, so a normalization error fails the
// item rather than falling back).
func AppendPromptFallback(dst []byte, normalized []pyvalue.Value, tools []pyvalue.Value) ([]byte, error) {
	prompt := pyvalue.MapOf("messages", pyvalue.ArrayOf(normalized...))
	if tools != nil {
		prompt.Set(pyvalue.Str("tools"), pyvalue.ArrayOf(tools...))
	}
	out, err := pyvalue.EncodeJSON(dst, prompt)
	if err != nil {
		return dst, fmt.Errorf("encode prompt: %w", err)
	}
	return out, nil
}
