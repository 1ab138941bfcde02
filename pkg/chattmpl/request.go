package chattmpl

import (
	"errors"
	"fmt"

	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// Request is one line of `aggregator tokens count --chat` input: either a
// structured prompt or an assistant output message.
type Request struct {
	Prompt  *events.PromptData   // {"messages", "tools", "chat_template_kwargs", "chat_template", "tool_choice"}
	Message *events.MessageParts // {"assistant": {"content", "reasoning_content", "tool_calls"}}
}

// ParseRequest parses one JSON object (key order preserved, Python
// json.loads number semantics). Unknown keys are errors, so a typo is not
// silently ignored.
func ParseRequest(line string) (Request, error) {
	v, err := pyvalue.ParsePythonJSON(line)
	if err != nil {
		return Request{}, fmt.Errorf("parse JSON: %w", err)
	}
	if v.Kind != pyvalue.KindMap {
		return Request{}, errors.New("want a JSON object")
	}
	if a, ok := v.Get("assistant"); ok {
		if len(v.Map) != 1 {
			return Request{}, errors.New(`"assistant" must be the only key`)
		}
		m, err := parseMessage(a)
		return Request{Message: m}, err
	}
	p, err := parsePrompt(v)
	return Request{Prompt: p}, err
}

func parsePrompt(v pyvalue.Value) (*events.PromptData, error) {
	p := &events.PromptData{}
	seenMessages := false
	for _, kv := range v.Map {
		val := kv.Value
		switch kv.Key.Str {
		case "messages":
			if val.Kind != pyvalue.KindArray {
				return nil, errors.New(`"messages" is not a list`)
			}
			p.Messages, seenMessages = val.Array, true
		case "tools":
			switch val.Kind {
			case pyvalue.KindNil:
			case pyvalue.KindArray:
				p.Tools = append([]pyvalue.Value{}, val.Array...)
			default:
				return nil, errors.New(`"tools" is neither a list nor null`)
			}
		case "chat_template_kwargs":
			switch val.Kind {
			case pyvalue.KindNil:
			case pyvalue.KindMap:
				p.ChatTemplateKwargs = &val
			default:
				return nil, errors.New(`"chat_template_kwargs" is neither an object nor null`)
			}
		case "chat_template":
			switch val.Kind {
			case pyvalue.KindNil:
			case pyvalue.KindStr:
				p.ChatTemplate = &val.Str
			default:
				return nil, errors.New(`"chat_template" is neither a string nor null`)
			}
		case "tool_choice":
			switch val.Kind {
			case pyvalue.KindNil:
			case pyvalue.KindStr, pyvalue.KindMap:
				p.ToolChoice = &val
			default:
				return nil, errors.New(`"tool_choice" is neither a string, an object nor null`)
			}
		default:
			return nil, fmt.Errorf("unknown key %q (want messages, tools, chat_template_kwargs, chat_template, tool_choice, or assistant)", kv.Key.Str)
		}
	}
	if !seenMessages {
		return nil, errors.New(`no "messages" list (or "assistant" object)`)
	}
	return p, nil
}

func parseMessage(a pyvalue.Value) (*events.MessageParts, error) {
	if a.Kind != pyvalue.KindMap {
		return nil, errors.New(`"assistant" is not an object`)
	}
	m := &events.MessageParts{}
	for _, kv := range a.Map {
		val := kv.Value
		switch kv.Key.Str {
		case "content":
			if val.Kind != pyvalue.KindStr && val.Kind != pyvalue.KindNil {
				return nil, errors.New(`assistant "content" is neither a string nor null`)
			}
			m.Content = val.Str
		case "reasoning_content":
			switch val.Kind {
			case pyvalue.KindNil:
			case pyvalue.KindStr:
				m.Reasoning = &val.Str
			default:
				return nil, errors.New(`assistant "reasoning_content" is neither a string nor null`)
			}
		case "tool_calls":
			switch val.Kind {
			case pyvalue.KindNil:
			case pyvalue.KindArray:
				tcs, err := events.MergeToolCalls(val.Array)
				if err != nil {
					return nil, fmt.Errorf("assistant tool_calls: %w", err)
				}
				m.ToolCalls = tcs
			default:
				return nil, errors.New(`assistant "tool_calls" is neither a list nor null`)
			}
		default:
			return nil, fmt.Errorf("unknown assistant key %q (want content, reasoning_content, tool_calls)", kv.Key.Str)
		}
	}
	return m, nil
}
