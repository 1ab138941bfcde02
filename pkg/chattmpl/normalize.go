package chattmpl

import (
	"errors"
	"fmt"

	"github.com/mlperf-tools/aggregator/pkg/events"
)

// NormalizeMessages is upstream's _normalize_prompt_messages_for_template:
// a message whose "tool_calls" is a non-empty list gets a copy with its
// tool calls normalized (NormalizeToolCalls); other messages are kept. The
// input is never mutated.
func NormalizeMessages(msgs []events.Value) ([]events.Value, error) {
	out := make([]events.Value, len(msgs))
	for i, m := range msgs {
		if m.Kind != events.KindMap {
			return nil, fmt.Errorf("message %d is not a dict", i)
		}
		out[i] = m
		tcs, ok := m.Get("tool_calls")
		if !ok || tcs.Kind != events.KindArray || len(tcs.Array) == 0 {
			continue
		}
		norm, err := NormalizeToolCalls(tcs.Array)
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		out[i] = replaced(m, "tool_calls", events.ArrayOf(norm...))
	}
	return out, nil
}

// NormalizeToolCalls is upstream's _normalize_tool_calls_for_template: a
// tool call whose function.arguments is a string holding a JSON object
// gets a copy with the parsed object (key order kept); anything else is
// kept. Where Python raises (a tool call that is not a dict, a truthy
// "function" that is not a dict, JSON nested beyond the recursion limit),
// an error is returned.
func NormalizeToolCalls(tcs []events.Value) ([]events.Value, error) {
	out := make([]events.Value, 0, len(tcs))
	for _, tc := range tcs {
		if tc.Kind != events.KindMap {
			return nil, errors.New("tool call is not a dict")
		}
		fn, ok := tc.Get("function")
		if !ok || !fn.Truthy() {
			out = append(out, tc)
			continue
		}
		if fn.Kind != events.KindMap {
			return nil, errors.New("tool call function is not a dict")
		}
		args, ok := fn.Get("arguments")
		if !ok || args.Kind != events.KindStr {
			out = append(out, tc)
			continue
		}
		parsed, err := events.ParsePythonJSON(args.Str)
		switch {
		case errors.Is(err, events.ErrTooDeep):
			return nil, err
		case errors.Is(err, events.ErrUnencodable) && parsed.Kind == events.KindMap:
			// Python parses it (e.g. a big integer); the template context
			// cannot hold it: fail so the caller's fallback applies.
			return nil, fmt.Errorf("tool call arguments: %w", err)
		case err != nil || parsed.Kind != events.KindMap:
			out = append(out, tc)
			continue
		}
		out = append(out, replaced(tc, "function", replaced(fn, "arguments", parsed)))
	}
	return out, nil
}

// replaced returns a copy of dict m with key set to v: in place when the
// key exists (a Python dict update keeps the position), appended otherwise.
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
