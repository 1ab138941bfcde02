package events

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// MessageParts is the (content, reasoning, tool_calls) triple upstream
// feeds to the chat template when counting output tokens.
type MessageParts struct {
	Content   string
	Reasoning *string         // nil is Python None
	ToolCalls []pyvalue.Value // nil is Python None; merged tool-call dicts
}

// MergeToolCalls ports upstream's merge_tool_calls: nil for an empty or
// absent list; the list unchanged when its first element is not a list
// (already complete tool calls); otherwise the streamed delta chunks merged
// by their "index" into dicts built exactly as Python builds them, so key
// order matches: {"type", "function": {"arguments", then "name"}} with "id"
// appended when a delta carries one. The result is sorted by index. An
// error stands for the exception Python would raise on malformed deltas
// (AttributeError/TypeError); a NaN index, which Python would sort in an
// order this port does not reproduce, is also an error.
func MergeToolCalls(toolCalls []pyvalue.Value) ([]pyvalue.Value, error) {
	if len(toolCalls) == 0 {
		return nil, nil
	}
	if toolCalls[0].Kind != pyvalue.KindArray {
		return toolCalls, nil
	}
	var keys []pyvalue.Value
	var merged []pyvalue.Value // parallel to keys
	var ix pyvalue.KeyIndex
	for ci, chunk := range toolCalls {
		partials, err := iterChunk(chunk)
		if err != nil {
			return nil, fmt.Errorf("merge tool calls: chunk %d: %w", ci, err)
		}
		for _, partial := range partials {
			if partial.Kind != pyvalue.KindMap {
				return nil, fmt.Errorf("merge tool calls: chunk %d: %s object has no attribute 'get'", ci, pyTypeName(partial))
			}
			idx, ok := partial.Get("index")
			if !ok {
				idx = pyvalue.Int(0)
			}
			if !idx.Hashable() {
				return nil, fmt.Errorf("merge tool calls: unhashable index type %s", pyTypeName(idx))
			}
			slot := ix.Lookup(idx, len(keys))
			if slot < 0 {
				keys = append(keys, idx)
				merged = append(merged, pyvalue.MapOf("type", "function", "function", pyvalue.MapOf("arguments", "")))
				slot = len(keys) - 1
			}
			tc := &merged[slot]
			if id, ok := partial.Get("id"); ok && id.Truthy() {
				tc.Set(pyvalue.Str("id"), id)
			}
			if typ, ok := partial.Get("type"); ok && typ.Truthy() {
				tc.Set(pyvalue.Str("type"), typ)
			}
			fn, _ := partial.Get("function")
			if !fn.Truthy() {
				continue // `or {}`: nothing to merge
			}
			if fn.Kind != pyvalue.KindMap {
				return nil, fmt.Errorf("merge tool calls: %s object has no attribute 'get'", pyTypeName(fn))
			}
			tfn := &tc.Map[functionSlot(tc)].Value
			if name, ok := fn.Get("name"); ok && name.Truthy() {
				tfn.Set(pyvalue.Str("name"), name)
			}
			if args, ok := fn.Get("arguments"); ok && args.Truthy() {
				if args.Kind != pyvalue.KindStr {
					return nil, fmt.Errorf("merge tool calls: can only concatenate str (not %q) to str", pyTypeName(args))
				}
				cur, _ := tfn.Get("arguments")
				tfn.Set(pyvalue.Str("arguments"), pyvalue.Str(cur.Str+args.Str))
			}
		}
	}
	order, err := sortKeys(keys)
	if err != nil {
		return nil, fmt.Errorf("merge tool calls: %w", err)
	}
	out := make([]pyvalue.Value, len(order))
	for i, j := range order {
		out[i] = merged[j]
	}
	return out, nil
}

// functionSlot finds the "function" entry of a merged tool call (always
// present: it is created with the dict and never replaced).
func functionSlot(tc *pyvalue.Value) int {
	for i, kv := range tc.Map {
		if kv.Key.Kind == pyvalue.KindStr && kv.Key.Str == "function" {
			return i
		}
	}
	panic("events: merged tool call without function")
}

// iterChunk returns what Python's `for partial in chunk` iterates over.
func iterChunk(chunk pyvalue.Value) ([]pyvalue.Value, error) {
	switch chunk.Kind {
	case pyvalue.KindArray:
		return chunk.Array, nil
	case pyvalue.KindMap:
		keys := make([]pyvalue.Value, len(chunk.Map))
		for i, kv := range chunk.Map {
			keys[i] = kv.Key
		}
		return keys, nil
	case pyvalue.KindStr:
		var out []pyvalue.Value
		for _, r := range chunk.Str {
			out = append(out, pyvalue.Str(string(r)))
		}
		return out, nil
	case pyvalue.KindBin:
		out := make([]pyvalue.Value, len(chunk.Bytes))
		for i, b := range chunk.Bytes {
			out[i] = pyvalue.Int(int64(b))
		}
		return out, nil
	}
	return nil, fmt.Errorf("'%s' object is not iterable", pyTypeName(chunk))
}

// sortKeys returns the indexes of keys in Python's sorted() order, or the
// TypeError Python raises for keys that cannot be ordered.
func sortKeys(keys []pyvalue.Value) ([]int, error) {
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	if len(keys) < 2 {
		return order, nil
	}
	group := func(v pyvalue.Value) int {
		switch {
		case v.IsNumber():
			return 1
		case v.Kind == pyvalue.KindStr:
			return 2
		case v.Kind == pyvalue.KindBin:
			return 3
		case v.Kind == pyvalue.KindExt:
			return 4
		}
		return 0
	}
	g := group(keys[0])
	for _, k := range keys {
		if group(k) != g || g == 0 {
			return nil, fmt.Errorf("'<' not supported between instances of %s and %s", pyTypeName(keys[0]), pyTypeName(k))
		}
		if k.Kind == pyvalue.KindFloat && k.Float != k.Float {
			return nil, fmt.Errorf("NaN tool-call index cannot be ordered")
		}
	}
	less := func(a, b pyvalue.Value) bool {
		switch g {
		case 1:
			return pyvalue.NumCompare(a, b) < 0
		case 2:
			return a.Str < b.Str
		case 3:
			return bytes.Compare(a.Bytes, b.Bytes) < 0
		}
		as, au, _ := a.Timestamp()
		bs, bu, _ := b.Timestamp()
		return as < bs || as == bs && au < bu
	}
	sort.SliceStable(order, func(i, j int) bool { return less(keys[order[i]], keys[order[j]]) })
	return order, nil
}

// pyTypeName names v's Python type for error messages.
func pyTypeName(v pyvalue.Value) string {
	switch v.Kind {
	case pyvalue.KindNil:
		return "NoneType"
	case pyvalue.KindBool:
		return "bool"
	case pyvalue.KindInt, pyvalue.KindUint:
		return "int"
	case pyvalue.KindFloat:
		return "float"
	case pyvalue.KindStr:
		return "str"
	case pyvalue.KindBin:
		return "bytes"
	case pyvalue.KindArray:
		return "list"
	case pyvalue.KindMap:
		return "dict"
	case pyvalue.KindExt:
		if v.Ext == -1 {
			return "datetime.datetime"
		}
		return "msgspec.msgpack.Ext"
	}
	return "object"
}

// toolCallsJSON appends msgspec.json.encode(list(tc)).
func toolCallsJSON(sb *strings.Builder, tc []pyvalue.Value) error {
	b, err := pyvalue.EncodeJSON(nil, pyvalue.Value{Kind: pyvalue.KindArray, Array: tc})
	if err != nil {
		return err
	}
	sb.Write(b)
	return nil
}

// Text ports str(TextModelOutput): reasoning, then output, then the JSON of
// the merged tool calls, concatenated. The error is the exception Python
// would raise (malformed tool-call deltas, unencodable values).
func (t *TextModelOutput) Text() (string, error) {
	var sb strings.Builder
	if t.Reasoning.Truthy() {
		writeChunks(&sb, t.Reasoning, 0)
	}
	if t.Output.Truthy() {
		writeChunks(&sb, t.Output, 0)
	}
	tc, err := MergeToolCalls(t.ToolCalls)
	if err != nil {
		return "", err
	}
	if len(tc) > 0 {
		if err := toolCallsJSON(&sb, tc); err != nil {
			return "", err
		}
	}
	return sb.String(), nil
}

// String returns Text(), or "" when Python would raise.
func (t *TextModelOutput) String() string {
	s, _ := t.Text()
	return s
}

// writeChunks writes a str field, or the chunks of a list field from
// index from on.
func writeChunks(sb *strings.Builder, c Chunks, from int) {
	switch c.Kind {
	case ChunksStr:
		sb.WriteString(c.Str)
	case ChunksList:
		for _, s := range c.List[min(from, len(c.List)):] {
			sb.WriteString(s)
		}
	}
}

// tailToolCalls is the tool_calls[1:] rule shared by the after-first-chunk
// methods: a leading delta chunk is the first chunk when there is no text.
func (t *TextModelOutput) tailToolCalls() []pyvalue.Value {
	tc := t.ToolCalls
	if len(tc) > 0 && tc[0].Kind == pyvalue.KindArray && !(t.Output.Truthy() || t.Reasoning.Truthy()) {
		return tc[1:]
	}
	return tc
}

// TextAfterFirstChunk ports text_after_first_chunk, the TPOT denominator
// text: everything emitted after the first stream chunk (the first chunk is
// reasoning[0] when reasoning is streamed, else output[0]; a str output
// has no first chunk to drop unless streamed reasoning came first).
func (t *TextModelOutput) TextAfterFirstChunk() (string, error) {
	var sb strings.Builder
	partsNonEmpty := false
	if t.Reasoning.Truthy() && t.Reasoning.Kind == ChunksList && len(t.Reasoning.List) > 1 {
		writeChunks(&sb, t.Reasoning, 1)
		partsNonEmpty = true
	}
	if t.Output.Truthy() {
		switch t.Output.Kind {
		case ChunksStr:
			if partsNonEmpty || (t.Reasoning.Truthy() && t.Reasoning.Kind == ChunksList) {
				sb.WriteString(t.Output.Str)
				partsNonEmpty = true
			}
		case ChunksList:
			if partsNonEmpty || t.Reasoning.Truthy() {
				writeChunks(&sb, t.Output, 0)
				partsNonEmpty = true
			} else if len(t.Output.List) > 1 {
				writeChunks(&sb, t.Output, 1)
				partsNonEmpty = true
			}
		}
	}
	tc, err := MergeToolCalls(t.tailToolCalls())
	if err != nil {
		return "", err
	}
	if len(tc) > 0 {
		if err := toolCallsJSON(&sb, tc); err != nil {
			return "", err
		}
	}
	return sb.String(), nil
}

// AsMessageParts ports as_message_parts: the whole output as chat-template
// message parts.
func (t *TextModelOutput) AsMessageParts() (MessageParts, error) {
	var mp MessageParts
	mp.Content = t.Output.Join()
	if t.Reasoning.Truthy() {
		r := t.Reasoning.Join()
		mp.Reasoning = &r
	}
	tc, err := MergeToolCalls(t.ToolCalls)
	if err != nil {
		return MessageParts{}, err
	}
	mp.ToolCalls = tc
	return mp, nil
}

// AsMessagePartsAfterFirstChunk ports as_message_parts_after_first_chunk:
// the message parts emitted after the first stream chunk.
func (t *TextModelOutput) AsMessagePartsAfterFirstChunk() (MessageParts, error) {
	var mp MessageParts
	if t.Reasoning.Kind == ChunksList && len(t.Reasoning.List) > 1 {
		var sb strings.Builder
		writeChunks(&sb, t.Reasoning, 1)
		r := sb.String()
		mp.Reasoning = &r
	}
	hasTail := mp.Reasoning != nil
	if t.Output.Truthy() {
		switch t.Output.Kind {
		case ChunksStr:
			if hasTail || (t.Reasoning.Truthy() && t.Reasoning.Kind == ChunksList) {
				mp.Content = t.Output.Str
			}
		case ChunksList:
			var sb strings.Builder
			if hasTail || t.Reasoning.Truthy() {
				writeChunks(&sb, t.Output, 0)
			} else if len(t.Output.List) > 1 {
				writeChunks(&sb, t.Output, 1)
			}
			mp.Content = sb.String()
		}
	}
	tc, err := MergeToolCalls(t.tailToolCalls())
	if err != nil {
		return MessageParts{}, err
	}
	mp.ToolCalls = tc
	return mp, nil
}
