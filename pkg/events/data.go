package events

import (
	"fmt"

	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// Data is a decoded data field: Kind says which of the structs is set.
type Data struct {
	Kind            DataKind
	TextModelOutput TextModelOutput
	PromptData      PromptData
	ErrorData       ErrorData
}

// ChunksKind says which Python shape a str | tuple[str, ...] | None field
// had.
type ChunksKind uint8

// Chunks shapes.
const (
	ChunksNone ChunksKind = iota // None
	ChunksStr                    // a single str (non-streaming)
	ChunksList                   // a tuple of str (stream chunks), possibly empty
)

// Chunks is a TextModelOutput output or reasoning field.
type Chunks struct {
	Kind ChunksKind
	Str  string   // ChunksStr
	List []string // ChunksList
}

// Truthy reports Python truthiness of the field ("" and () are false).
func (c Chunks) Truthy() bool {
	switch c.Kind {
	case ChunksStr:
		return c.Str != ""
	case ChunksList:
		return len(c.List) != 0
	}
	return false
}

// Join returns the field as one string: the str itself or the chunks
// concatenated ("" for None).
func (c Chunks) Join() string {
	switch c.Kind {
	case ChunksStr:
		return c.Str
	case ChunksList:
		n := 0
		for _, s := range c.List {
			n += len(s)
		}
		b := make([]byte, 0, n)
		for _, s := range c.List {
			b = append(b, s...)
		}
		return string(b)
	}
	return ""
}

// TextModelOutput mirrors upstream's TextModelOutput struct.
type TextModelOutput struct {
	Output    Chunks          // never ChunksNone; default is ChunksStr ""
	Reasoning Chunks          // default ChunksNone
	ToolCalls []pyvalue.Value // nil for None; complete dicts or lists of streamed delta dicts
}

// PromptData mirrors upstream's PromptData struct. Nil pointers and nil
// slices are Python None; empty non-nil slices are empty tuples.
type PromptData struct {
	Text               *string
	TokenIDs           []int64         // values above MaxInt64 are clamped
	Messages           []pyvalue.Value // each a pyvalue.KindMap
	Tools              []pyvalue.Value // each a pyvalue.KindMap
	ChatTemplateKwargs *pyvalue.Value  // a pyvalue.KindMap
	ChatTemplate       *string
	ToolChoice         *pyvalue.Value // pyvalue.KindStr or pyvalue.KindMap
}

// ErrorData mirrors upstream's ErrorData struct.
type ErrorData struct {
	ErrorType    string
	ErrorMessage string
}

// String renders e as upstream's ErrorData.__str__: "type: message", or
// just "type" when the message is empty.
func (e ErrorData) String() string {
	if e.ErrorMessage != "" {
		return e.ErrorType + ": " + e.ErrorMessage
	}
	return e.ErrorType
}

// DecodeData materialises a Record's Data (the raw msgpack data field:
// nil or a tagged array). It applies the same validation as DecodePayload.
// Strings are copied; bin and ext payloads inside Any values still alias
// raw. Map keys are deduplicated like a Python dict (first key and
// position, last value).
func DecodeData(raw []byte) (Data, error) {
	if len(raw) == 0 {
		return Data{Kind: DataNone}, nil
	}
	rd := reader{b: raw, field: "data"}
	var rec Record
	if err := decodeDataField(&rd, &rec); err != nil {
		return Data{}, err
	}
	if rd.pos != len(raw) {
		return Data{}, rd.fail("trailing characters (byte %d)", rd.pos)
	}
	if rec.DataKind == DataNone {
		return Data{Kind: DataNone}, nil
	}
	rd.pos = 0
	n, _ := rd.readArrayLen()
	_, _ = rd.readRawStr()
	nf := n - 1
	d := Data{Kind: rec.DataKind}
	switch rec.DataKind {
	case DataTextModelOutput:
		t := &d.TextModelOutput
		t.Output = Chunks{Kind: ChunksStr}
		for i := 0; i < min(nf, 3); i++ {
			v := buildValue(&rd)
			switch i {
			case 0:
				t.Output = chunksOf(v)
			case 1:
				t.Reasoning = chunksOf(v)
			case 2:
				if v.Kind == pyvalue.KindArray {
					t.ToolCalls = v.Array
				}
			}
		}
	case DataPromptData:
		p := &d.PromptData
		for i := 0; i < min(nf, 7); i++ {
			v := buildValue(&rd)
			if v.Kind == pyvalue.KindNil {
				continue
			}
			switch i {
			case 0:
				p.Text = &v.Str
			case 1:
				p.TokenIDs = make([]int64, len(v.Array))
				for j, x := range v.Array {
					if x.Kind == pyvalue.KindUint {
						p.TokenIDs[j] = 1<<63 - 1
					} else {
						p.TokenIDs[j] = x.Int
					}
				}
			case 2:
				p.Messages = v.Array
			case 3:
				p.Tools = v.Array
			case 4:
				p.ChatTemplateKwargs = &v
			case 5:
				p.ChatTemplate = &v.Str
			case 6:
				p.ToolChoice = &v
			}
		}
	case DataErrorData:
		e := &d.ErrorData
		e.ErrorType = buildValue(&rd).Str
		if nf > 1 {
			e.ErrorMessage = buildValue(&rd).Str
		}
	}
	return d, nil
}

func chunksOf(v pyvalue.Value) Chunks {
	switch v.Kind {
	case pyvalue.KindStr:
		return Chunks{Kind: ChunksStr, Str: v.Str}
	case pyvalue.KindArray:
		l := make([]string, len(v.Array))
		for i, s := range v.Array {
			l[i] = s.Str
		}
		return Chunks{Kind: ChunksList, List: l}
	}
	return Chunks{}
}

// GoString helps test failure messages.
func (c Chunks) GoString() string {
	switch c.Kind {
	case ChunksStr:
		return fmt.Sprintf("Str(%q)", c.Str)
	case ChunksList:
		return fmt.Sprintf("List(%q)", c.List)
	}
	return "None"
}
