package shard

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// testFrames covers every frame type and every size class of the encoder.
func testFrames() []*Frame {
	long := strings.Repeat("x", 70_000) // str32
	many := make([]string, 70_000)      // array32
	for i := range many {
		many[i] = strings.Repeat("é", i%40)
	}
	counts := make([]int, 70_000)
	errs := make([]string, 70_000)
	for i := range counts {
		counts[i] = i * 1000
		if i%7 == 0 {
			counts[i], errs[i] = -1, "bad item"
		}
	}
	manyKinds := make([]tokwork.Kind, len(many))
	rendered := make([]bool, len(counts))
	fallbacks := make([]string, len(counts))
	for i := range manyKinds {
		manyKinds[i] = tokwork.Kind(i % 3)
		rendered[i] = i%3 == 1
		if i%5 == 0 {
			fallbacks[i] = "no chat template"
		}
	}
	payload := string(tokwork.AppendMessage(nil, events.MessageParts{Content: "hi \xff"}))
	return []*Frame{
		{Type: TypeHello, V: 2, PID: 123456, Tokenizer: "sha256:" + strings.Repeat("ab", 32), Procs: 8, CPUs: "0-7",
			Chat: ChatInfo{Template: true, Prefix: 5, Baseline: 4}},
		{Type: TypeHello, V: 1, PID: 1, Tokenizer: "", Procs: 1, CPUs: "", Chat: ChatInfo{Error: "chat-template baseline: no chat template"}},
		{Type: TypeFatal, Error: "loading tokenizer: no such file"},
		{Type: TypeCount, ID: 1, Texts: []string{}},
		{Type: TypeCount, ID: 1<<32 + 5, Texts: []string{"", "hello", strings.Repeat("y", 31), strings.Repeat("y", 32), strings.Repeat("z", 255), strings.Repeat("z", 256), long, "\x00\xff"}},
		{Type: TypeCount, ID: 200, Texts: many},
		{Type: TypeCount, ID: 201, Texts: many, Kinds: manyKinds},
		{Type: TypeCount, ID: 202, Texts: []string{}, Kinds: []tokwork.Kind{}},
		{Type: TypeCount, ID: 203, Texts: []string{payload, "text", "", strings.Repeat("b", 256), long, "\x00"},
			Kinds: []tokwork.Kind{1, 0, 2, 2, 1, 255}},
		{Type: TypeCounts, ID: 7, Counts: []int{}, Errors: []string{}},
		{Type: TypeCounts, ID: 70000, Counts: []int{0, 1, 127, 128, 255, 256, 65535, 65536, 1 << 40, -1, -32, -33, -200, -40000, -1 << 40}, Errors: make([]string, 15)},
		{Type: TypeCounts, ID: 9, Counts: counts, Errors: errs},
		{Type: TypeCounts, ID: 10, Counts: counts, Errors: errs, Rendered: rendered, Fallbacks: fallbacks},
		{Type: TypeCounts, ID: 11, Counts: []int{}, Errors: []string{}, Rendered: []bool{}, Fallbacks: []string{}},
		{Type: TypeShutdown},
		{Type: TypeError, ID: 0, Error: `unknown frame type "x"`},
		{Type: TypeError, ID: 3, Error: "boom"},
	}
}

func TestFrameRoundTrip(t *testing.T) {
	var stream []byte
	frames := testFrames()
	for _, f := range frames {
		var err error
		stream, err = AppendFrame(stream, f)
		if err != nil {
			t.Fatal(err)
		}
	}
	r := NewReader(bytes.NewReader(stream))
	for i, want := range frames {
		got, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("frame %d (%s): round trip differs", i, want.Type)
		}
	}
	if _, err := r.ReadFrame(); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
}

// TestFrameMatchesMsgpackLib checks our encoder against an independent
// msgpack implementation, both ways.
func TestFrameMatchesMsgpackLib(t *testing.T) {
	for _, f := range testFrames() {
		buf, err := AppendFrame(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		if n := binary.BigEndian.Uint32(buf); int(n) != len(buf)-4 {
			t.Fatalf("%s: length prefix %d, payload %d", f.Type, n, len(buf)-4)
		}
		var m map[string]any
		if err := msgpack.Unmarshal(buf[4:], &m); err != nil {
			t.Fatalf("%s: msgpack/v5 cannot decode our frame: %v", f.Type, err)
		}
		if m["t"] != f.Type {
			t.Fatalf("t = %v", m["t"])
		}
		if f.Type == TypeCount && f.Kinds != nil {
			texts := m["texts"].([]any)
			for i, k := range m["kinds"].([]any) {
				if toInt(k) != int64(f.Kinds[i]) {
					t.Fatalf("kinds[%d] = %v, want %d", i, k, f.Kinds[i])
				}
				// A chat payload is a bin, a text a str.
				if b, isBin := texts[i].([]byte); isBin != (f.Kinds[i] != tokwork.Text) || (isBin && string(b) != f.Texts[i]) {
					t.Fatalf("texts[%d] = %T for kind %d", i, texts[i], f.Kinds[i])
				}
			}
		}
		if f.Type == TypeHello {
			chat := m["chat"].(map[string]any)
			if chat["template"] != f.Chat.Template || toInt(chat["prefix"]) != int64(f.Chat.Prefix) || chat["error"] != f.Chat.Error {
				t.Fatalf("hello chat %v, want %+v", chat, f.Chat)
			}
		}
		if f.Type == TypeCounts && f.Rendered != nil {
			for i, r := range m["rendered"].([]any) {
				if r != f.Rendered[i] {
					t.Fatalf("rendered[%d] = %v", i, r)
				}
			}
			for i, e := range m["fallbacks"].([]any) {
				if (f.Fallbacks[i] == "") != (e == nil) {
					t.Fatalf("fallbacks[%d] = %v", i, e)
				}
			}
		}
		if f.Type == TypeCounts {
			errs := m["errors"].([]any)
			for i, e := range errs {
				if (f.Errors[i] == "") != (e == nil) {
					t.Fatalf("errors[%d] = %v, want nil iff ok", i, e)
				}
			}
			for i, c := range m["counts"].([]any) {
				if toInt(c) != int64(f.Counts[i]) {
					t.Fatalf("counts[%d] = %v, want %d", i, c, f.Counts[i])
				}
			}
		}
	}

	// Frames written by msgpack/v5, with unknown keys of every kind
	// (later protocol versions may add keys): ours skips them.
	ext := msgpack.RawMessage{0xd6, 0x05, 1, 2, 3, 4} // fixext4
	in := map[string]any{
		"t": "count", "id": uint64(42), "texts": []string{"a", "", "ü"},
		"future":  map[string]any{"nested": []any{1, "x", nil, true, 1.5, []byte{1, 2}, map[string]any{"k": -7}}},
		"kind":    "chat",
		"f32":     float32(2.5),
		"bin":     bytes.Repeat([]byte{9}, 300),
		"ext":     ext,
		"bigneg":  int64(-1 << 50),
		"boolean": false,
	}
	payload, err := msgpack.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeFrame(payload)
	if err != nil {
		t.Fatal(err)
	}
	want := &Frame{Type: TypeCount, ID: 42, Texts: []string{"a", "", "ü"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}

	// Chat payloads as bin or str, kinds of any integer form, a hello's
	// chat map with unknown keys.
	payload, err = msgpack.Marshal(map[string]any{
		"t": "count", "id": 1, "texts": []any{[]byte{0x81, 0xa1, 'x', 0xc0}, "\x81\xa1x\xc0", "t"},
		"kinds": []any{uint8(1), int64(2), uint16(0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err = DecodeFrame(payload)
	if err != nil {
		t.Fatal(err)
	}
	want = &Frame{Type: TypeCount, ID: 1, Texts: []string{"\x81\xa1x\xc0", "\x81\xa1x\xc0", "t"}, Kinds: []tokwork.Kind{1, 2, 0}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	payload, err = msgpack.Marshal(map[string]any{"t": "hello", "v": 2, "chat": map[string]any{"template": true, "prefix": 3, "baseline": 2, "error": "", "future": []int{1}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err = DecodeFrame(payload); err != nil || got.Chat != (ChatInfo{Template: true, Prefix: 3, Baseline: 2}) {
		t.Fatalf("hello chat: %+v %v", got, err)
	}
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return int64(x)
	}
	panic(v)
}

func TestFrameLimits(t *testing.T) {
	// 257 aliases of one 1 MiB string: over the limit without allocating it.
	mib := strings.Repeat("a", 1<<20)
	texts := make([]string, 257)
	for i := range texts {
		texts[i] = mib
	}
	dst := []byte("keep")
	out, err := AppendFrame(dst, &Frame{Type: TypeCount, ID: 1, Texts: texts})
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("err = %v, want ErrFrameTooLarge", err)
	}
	if string(out) != "keep" {
		t.Fatalf("dst changed on error: %q", out)
	}
	// Just under the limit is fine (size computed exactly).
	f := &Frame{Type: TypeCount, ID: 1, Texts: texts[:255]}
	if n := countPayloadSize(f); n > MaxFrame {
		t.Fatalf("255 MiB counted as %d", n)
	}
	buf, err := AppendFrame(nil, &Frame{Type: TypeCount, ID: 1, Texts: []string{"a", strings.Repeat("b", 300)}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := countPayloadSize(&Frame{Type: TypeCount, ID: 1, Texts: []string{"a", strings.Repeat("b", 300)}}), len(buf)-4; got != want {
		t.Fatalf("countPayloadSize = %d, encoded %d", got, want)
	}

	// A length prefix over the limit is refused before reading or
	// allocating the payload.
	hdr := binary.BigEndian.AppendUint32(nil, MaxFrame+1)
	if _, err := NewReader(bytes.NewReader(hdr)).ReadFrame(); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversized prefix: %v, want ErrFrameTooLarge", err)
	}
	hdr = binary.BigEndian.AppendUint32(nil, 0xffffffff)
	if _, err := NewReader(bytes.NewReader(hdr)).ReadFrame(); !errors.Is(err, ErrFrameTooLarge) || !strings.Contains(err.Error(), "4294967295") {
		t.Fatalf("oversized prefix: %v", err)
	}
}

func TestTruncatedFrames(t *testing.T) {
	whole, err := AppendFrame(nil, &Frame{Type: TypeCount, ID: 5, Texts: []string{"hello", "world"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewReader(bytes.NewReader(nil)).ReadFrame(); err != io.EOF {
		t.Fatalf("empty stream: %v, want io.EOF", err)
	}
	for cut := 1; cut < len(whole); cut++ {
		_, err := NewReader(bytes.NewReader(whole[:cut])).ReadFrame()
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("cut at %d: %v, want io.ErrUnexpectedEOF", cut, err)
		}
	}
	// A truncated payload inside a complete frame is a decode error.
	for cut := 0; cut < len(whole)-4; cut++ {
		if _, err := DecodeFrame(whole[4 : 4+cut]); err == nil {
			t.Fatalf("payload cut at %d decoded", cut)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	enc := func(v any) []byte {
		b, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := map[string][]byte{
		"not a map":       enc([]any{"t", "count"}),
		"no t":            enc(map[string]any{"id": 1}),
		"t not a string":  enc(map[string]any{"t": 5}),
		"texts not array": enc(map[string]any{"t": "count", "texts": "abc"}),
		"text not string": enc(map[string]any{"t": "count", "texts": []any{"a", 1}}),
		"negative id":     enc(map[string]any{"t": "count", "id": -1}),
		"float count":     enc(map[string]any{"t": "counts", "counts": []any{1.5}}),
		"kind too big":    enc(map[string]any{"t": "count", "texts": []any{"a"}, "kinds": []any{256}}),
		"negative kind":   enc(map[string]any{"t": "count", "texts": []any{"a"}, "kinds": []any{-1}}),
		"kinds not array": enc(map[string]any{"t": "count", "kinds": 1}),
		"rendered int":    enc(map[string]any{"t": "counts", "rendered": []any{1}}),
		"chat not map":    enc(map[string]any{"t": "hello", "chat": "x"}),
		"chat bad value":  enc(map[string]any{"t": "hello", "chat": map[string]any{"template": "yes"}}),
		"bin error":       enc(map[string]any{"t": "error", "error": []byte("x")}),
		"id too big":      append([]byte{0x82, 0xa1, 't', 0xa1, 'x', 0xa2, 'i', 'd', 0xcf}, 0xff, 0, 0, 0, 0, 0, 0, 0),
		"trailing bytes":  append(enc(map[string]any{"t": "shutdown"}), 0xc0),
		"huge array len":  {0x81, 0xa5, 't', 'e', 'x', 't', 's', 0xdd, 0x7f, 0xff, 0xff, 0xff},
		"huge str len":    {0x81, 0xa1, 't', 0xdb, 0x7f, 0xff, 0xff, 0xff},
		"invalid byte":    {0x81, 0xa1, 'q', 0xc1},
		"deep nesting":    append(append([]byte{0x82, 0xa1, 't', 0xa1, 'x', 0xa1, 'q'}, bytes.Repeat([]byte{0x91}, 100)...), 0xc0),
		"empty":           {},
	}
	for name, payload := range cases {
		_, err := DecodeFrame(payload)
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: err = %v, want *DecodeError", name, err)
		}
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, fr := range []*Frame{
		{Type: TypeHello, V: 1, PID: 7, Tokenizer: "sha256:ab", Procs: 2, CPUs: "0-1"},
		{Type: TypeCount, ID: 3, Texts: []string{"", "hello", "ü"}},
		{Type: TypeCount, ID: 4, Texts: []string{"\x81\xa1x\xc0", "hello"}, Kinds: []tokwork.Kind{1, 0}},
		{Type: TypeCounts, ID: 3, Counts: []int{0, -1, 300}, Errors: []string{"", "bad", ""}},
		{Type: TypeCounts, ID: 4, Counts: []int{0, 1}, Errors: []string{"", ""}, Rendered: []bool{true, false}, Fallbacks: []string{"", "x"}},
		{Type: TypeError, ID: 1, Error: "x"},
		{Type: TypeShutdown},
	} {
		b, _ := AppendFrame(nil, fr)
		f.Add(b[4:])
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		fr, err := DecodeFrame(payload)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes and decodes to the same frame for
		// the types the encoder knows.
		switch fr.Type {
		case TypeCount, TypeShutdown, TypeError, TypeFatal:
		default:
			return
		}
		b, err := AppendFrame(nil, fr)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeFrame(b[4:])
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		norm := func(f *Frame) *Frame {
			c := &Frame{Type: f.Type, ID: f.ID, Texts: f.Texts, Kinds: f.Kinds, Error: f.Error}
			switch f.Type {
			case TypeShutdown:
				c.ID, c.Texts, c.Kinds, c.Error = 0, nil, nil, ""
			case TypeFatal:
				c.ID, c.Texts, c.Kinds = 0, nil, nil
			case TypeError:
				c.Texts, c.Kinds = nil, nil
			case TypeCount:
				c.Error = ""
				if c.Texts == nil {
					c.Texts = []string{}
				}
			}
			return c
		}
		if !reflect.DeepEqual(norm(fr), norm(again)) {
			t.Fatalf("re-encode differs: %+v vs %+v", fr, again)
		}
	})
}

// BenchmarkDecodeFrame decodes the payloads of a live-lane-sized batch:
// a count frame of 1024 short texts and the counts frame answering it.
func BenchmarkDecodeFrame(b *testing.B) {
	texts := make([]string, 1024)
	counts := make([]int, 1024)
	errs := make([]string, 1024)
	for i := range texts {
		texts[i], counts[i] = "hello world", i
	}
	for _, f := range []*Frame{
		{Type: TypeCount, ID: 42, Texts: texts},
		{Type: TypeCounts, ID: 42, Counts: counts, Errors: errs},
	} {
		buf, err := AppendFrame(nil, f)
		if err != nil {
			b.Fatal(err)
		}
		payload := buf[headerLen:]
		b.Run(f.Type, func(b *testing.B) {
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeFrame(payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
