package tokqueue

import (
	"errors"
	"fmt"

	"github.com/mlperf-tools/aggregator/pkg/aggregator"
	"github.com/mlperf-tools/aggregator/pkg/events"
)

// Text returns the text whose token count is the job's value, appending
// scratch bytes to buf (returned for reuse). It is the single place that
// maps a structured input to a plain text: until chat templates are
// rendered (in the workers, next issue), and whenever the model has no
// usable chat template, structured inputs are counted through upstream's
// fallback texts (BatchTokenizer._token_count_message / _token_count_prompt):
//
//   - InputText: the text itself;
//   - InputMessage: "\n".join of the non-empty items of content, reasoning
//     and msgspec-JSON(list(tool_calls));
//   - InputPrompt: msgspec-JSON({"messages": normalized, "tools": tools}),
//     "tools" only when not None, normalized = the messages with tool-call
//     "arguments" JSON strings parsed to objects
//     (_normalize_prompt_messages_for_template).
//
// An error stands for an exception upstream raises on the same input (the
// item is then never counted: it stays pending).
func Text(in *aggregator.TokenInput, buf []byte) (string, []byte, error) {
	switch in.Kind {
	case aggregator.InputText:
		return in.Text, buf, nil
	case aggregator.InputMessage:
		return messageText(&in.Message, buf)
	case aggregator.InputPrompt:
		return promptText(&in.Prompt, buf)
	}
	return "", buf, fmt.Errorf("invalid token input kind %d", in.Kind)
}

func messageText(m *events.MessageParts, buf []byte) (string, []byte, error) {
	buf = buf[:0]
	sep := false
	add := func(s string) {
		if s == "" {
			return
		}
		if sep {
			buf = append(buf, '\n')
		}
		buf = append(buf, s...)
		sep = true
	}
	add(m.Content)
	if m.Reasoning != nil {
		add(*m.Reasoning)
	}
	if len(m.ToolCalls) > 0 {
		// msgspec encodes first; only then are the parts joined.
		js, err := events.EncodeJSON(nil, events.Value{Kind: events.KindArray, Array: m.ToolCalls})
		if err != nil {
			return "", buf, fmt.Errorf("encode tool_calls: %w", err)
		}
		add(string(js))
	}
	return string(buf), buf, nil
}

func promptText(p *events.PromptData, buf []byte) (string, []byte, error) {
	msgs, err := normalizeMessages(p.Messages)
	if err != nil {
		return "", buf, err
	}
	prompt := events.Value{Kind: events.KindMap, Map: []events.KV{
		{Key: events.Str("messages"), Value: events.Value{Kind: events.KindArray, Array: msgs}},
	}}
	if p.Tools != nil {
		prompt.Map = append(prompt.Map, events.KV{Key: events.Str("tools"),
			Value: events.Value{Kind: events.KindArray, Array: p.Tools}})
	}
	buf, err = events.EncodeJSON(buf[:0], prompt)
	if err != nil {
		return "", buf, fmt.Errorf("encode prompt: %w", err)
	}
	return string(buf), buf, nil
}

// normalizeMessages is _normalize_prompt_messages_for_template: a message
// whose "tool_calls" is a non-empty list gets a copy with its tool calls
// normalized; every other message is kept as is. The event's values are
// never mutated.
func normalizeMessages(msgs []events.Value) ([]events.Value, error) {
	var out []events.Value
	for i, m := range msgs {
		if m.Kind != events.KindMap {
			return nil, fmt.Errorf("message %d is not a dict", i)
		}
		tcs, ok := m.Get("tool_calls")
		if !ok || tcs.Kind != events.KindArray || len(tcs.Array) == 0 {
			if out != nil {
				out = append(out, m)
			}
			continue
		}
		norm, err := normalizeToolCalls(tcs.Array)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = append(make([]events.Value, 0, len(msgs)), msgs[:i]...)
		}
		out = append(out, replaced(m, "tool_calls", events.Value{Kind: events.KindArray, Array: norm}))
	}
	if out == nil {
		return msgs, nil
	}
	return out, nil
}

// normalizeToolCalls is _normalize_tool_calls_for_template: a tool call
// whose function.arguments is a string holding a JSON object gets a copy
// with the parsed object; anything else is kept. Where Python would raise
// (a tool call that is not a dict, a truthy "function" that is not a
// dict), an error is returned.
func normalizeToolCalls(tcs []events.Value) ([]events.Value, error) {
	out := make([]events.Value, 0, len(tcs))
	for _, tc := range tcs {
		if tc.Kind != events.KindMap {
			return nil, errors.New("tool call is not a dict ('.get' raises AttributeError)")
		}
		fn, ok := tc.Get("function")
		if !ok || !fn.Truthy() {
			out = append(out, tc) // `or {}`: no arguments
			continue
		}
		if fn.Kind != events.KindMap {
			return nil, errors.New("tool call function is not a dict ('.get' raises AttributeError)")
		}
		args, ok := fn.Get("arguments")
		if !ok || args.Kind != events.KindStr {
			out = append(out, tc)
			continue
		}
		parsed, err := ParsePythonJSON(args.Str)
		switch {
		case errors.Is(err, ErrTooDeep):
			return nil, err
		case errors.Is(err, ErrUnencodable) && parsed.Kind == events.KindMap:
			return nil, err
		case err != nil || parsed.Kind != events.KindMap:
			out = append(out, tc) // JSONDecodeError, or not a dict
			continue
		}
		out = append(out, replaced(tc, "function", replaced(fn, "arguments", parsed)))
	}
	return out, nil
}

// replaced returns a copy of the dict m with key's value set to v: in
// place when the key exists (Python dict update keeps the position),
// appended otherwise.
func replaced(m events.Value, key string, v events.Value) events.Value {
	kvs := make([]events.KV, len(m.Map), len(m.Map)+1)
	copy(kvs, m.Map)
	for i := range kvs {
		if kvs[i].Key.Kind == events.KindStr && kvs[i].Key.Str == key {
			kvs[i].Value = v
			return events.Value{Kind: events.KindMap, Map: kvs}
		}
	}
	kvs = append(kvs, events.KV{Key: events.Str(key), Value: v})
	return events.Value{Kind: events.KindMap, Map: kvs}
}
