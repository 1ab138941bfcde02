package tokwork

import (
	"errors"
	"fmt"

	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// Payload returns what a worker counts for in, appending scratch bytes to
// buf (returned for reuse): a text as is, or a structured input as its
// msgpack payload (AppendMessage, AppendPrompt), which the worker renders
// through the model's chat template. The daemon never renders: a chat
// template can be hostile, so rendering happens only in workers.
func Payload(in *Input, buf []byte) (Kind, string, []byte, error) {
	switch in.Kind {
	case Text:
		return Text, in.Text, buf, nil
	case Message:
		buf = AppendMessage(buf[:0], in.Message)
		return Message, string(buf), buf, nil
	case Prompt:
		buf = AppendPrompt(buf[:0], in.Prompt)
		return Prompt, string(buf), buf, nil
	}
	return 0, "", buf, fmt.Errorf("invalid token input kind %d", in.Kind)
}

// AppendMessage appends the payload of a Message item: the msgpack map
// {"content", "reasoning_content", "tool_calls"}, the last two nil when
// absent.
func AppendMessage(dst []byte, m events.MessageParts) []byte {
	v := pyvalue.MapOf("content", m.Content, "reasoning_content", nil, "tool_calls", nil)
	if m.Reasoning != nil {
		v.Map[1].Value = pyvalue.Str(*m.Reasoning)
	}
	if m.ToolCalls != nil {
		v.Map[2].Value = pyvalue.ArrayOf(m.ToolCalls...)
	}
	return pyvalue.AppendMsgpack(dst, v)
}

// AppendPrompt appends the payload of a Prompt item: the msgpack map
// {"messages", "tools", "chat_template_kwargs", "chat_template",
// "tool_choice"}, nil where absent.
func AppendPrompt(dst []byte, p events.PromptData) []byte {
	v := pyvalue.MapOf("messages", pyvalue.ArrayOf(p.Messages...), "tools", nil,
		"chat_template_kwargs", nil, "chat_template", nil, "tool_choice", nil)
	if p.Tools != nil {
		v.Map[1].Value = pyvalue.ArrayOf(p.Tools...)
	}
	if p.ChatTemplateKwargs != nil {
		v.Map[2].Value = *p.ChatTemplateKwargs
	}
	if p.ChatTemplate != nil {
		v.Map[3].Value = pyvalue.Str(*p.ChatTemplate)
	}
	if p.ToolChoice != nil {
		v.Map[4].Value = *p.ToolChoice
	}
	return pyvalue.AppendMsgpack(dst, v)
}

// DecodePayload decodes the payload of a Message or Prompt item: the
// msgpack map AppendMessage or AppendPrompt wrote. It returns the map; the
// renderer reads its fields with the rules of `tokens count --chat` lines.
func DecodePayload(k Kind, payload []byte) (pyvalue.Value, error) {
	if k != Message && k != Prompt {
		return pyvalue.Value{}, fmt.Errorf("decode item: a %s item has no payload", k)
	}
	v, err := events.DecodeValue(payload)
	if err != nil {
		return pyvalue.Value{}, fmt.Errorf("decode %s payload: %w", k, err)
	}
	if v.Kind != pyvalue.KindMap {
		return pyvalue.Value{}, fmt.Errorf("decode %s payload: %w", k, errors.New("not a map"))
	}
	return v, nil
}
