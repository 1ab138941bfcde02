package chattmpl

import (
	"errors"
	"fmt"

	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// NormalizeMessages is upstream's _normalize_prompt_messages_for_template:
// a message whose "tool_calls" is a non-empty list gets a copy with its
// tool calls normalized (NormalizeToolCalls); other messages are kept. The
// input is never mutated.
func NormalizeMessages(msgs []pyvalue.Value) ([]pyvalue.Value, error) {
	out := make([]pyvalue.Value, len(msgs))
	for i, m := range msgs {
		if m.Kind != pyvalue.KindMap {
			return nil, fmt.Errorf("message %d is not a dict", i)
		}
		out[i] = m
		tcs, ok := m.Get("tool_calls")
		if !ok || tcs.Kind != pyvalue.KindArray || len(tcs.Array) == 0 {
			continue
		}
		norm, err := NormalizeToolCalls(tcs.Array)
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		out[i] = replaced(m, "tool_calls", pyvalue.ArrayOf(norm...))
	}
	return out, nil
}

// NormalizeToolCalls is upstream's _normalize_tool_calls_for_template: a
// tool call whose function.arguments is a string holding a JSON object
// gets a copy with the parsed object (key order kept); anything else is
// kept. Where Python raises (a tool call that is not a dict, a truthy
// "function" that is not a dict, JSON nested beyond the recursion limit),
// an error is returned.
func NormalizeToolCalls(tcs []pyvalue.Value) ([]pyvalue.Value, error) {
	out := make([]pyvalue.Value, 0, len(tcs))
	for _, tc := range tcs {
		if tc.Kind != pyvalue.KindMap {
			return nil, errors.New("tool call is not a dict")
		}
		fn, ok := tc.Get("function")
		if !ok || !fn.Truthy() {
			out = append(out, tc)
			continue
		}
		if fn.Kind != pyvalue.KindMap {
			return nil, errors.New("tool call function is not a dict")
		}
		args, ok := fn.Get("arguments")
		if !ok || args.Kind != pyvalue.KindStr {
			out = append(out, tc)
			continue
		}
		parsed, err := pyvalue.ParsePythonJSON(args.Str)
		switch {
		case errors.Is(err, pyvalue.ErrTooDeep):
			return nil, err
		case errors.Is(err, pyvalue.ErrUnencodable) && parsed.Kind == pyvalue.KindMap:
			// Python parses it (e.g. a big integer); the template context
			// cannot hold it: fail so the caller's fallback applies.
			return nil, fmt.Errorf("tool call arguments: %w", err)
		case err != nil || parsed.Kind != pyvalue.KindMap:
			out = append(out, tc)
			continue
		}
		out = append(out, replaced(tc, "function", replaced(fn, "arguments", parsed)))
	}
	return out, nil
}

// replaced returns a copy of dict m with key set to v: in place when the
// key exists (a Python dict update keeps the position), appended otherwise.
func replaced(m pyvalue.Value, key string, v pyvalue.Value) pyvalue.Value {
	kvs := make([]pyvalue.KV, len(m.Map), len(m.Map)+1)
	copy(kvs, m.Map)
	for i := range kvs {
		if kvs[i].Key.Kind == pyvalue.KindStr && kvs[i].Key.Str == key {
			kvs[i].Value = v
			return pyvalue.Value{Kind: pyvalue.KindMap, Map: kvs}
		}
	}
	kvs = append(kvs, pyvalue.KV{Key: pyvalue.Str(key), Value: v})
	return pyvalue.Value{Kind: pyvalue.KindMap, Map: kvs}
}
