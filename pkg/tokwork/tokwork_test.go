package tokwork

import (
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// TestPayloadRoundTrip: a structured input's payload decodes back to the
// map the renderer reads, key order and nil fields included; a text is its
// own payload; an unknown kind is refused both ways.
func TestPayloadRoundTrip(t *testing.T) {
	reasoning, tmpl := "why", "{{ messages }}"
	kw := pyvalue.MapOf("enable_thinking", false)
	ins := []Input{
		{Kind: Text, Text: "plain text"},
		{Kind: Message, Message: events.MessageParts{Content: "hi", Reasoning: &reasoning,
			ToolCalls: []pyvalue.Value{pyvalue.MapOf("function", pyvalue.MapOf("name", "f", "arguments", "{}"))}}},
		{Kind: Prompt, Prompt: events.PromptData{Messages: []pyvalue.Value{pyvalue.MapOf("role", "user", "content", "q")},
			ChatTemplateKwargs: &kw, ChatTemplate: &tmpl}},
	}
	want := []string{
		"",
		`{"content":"hi","reasoning_content":"why","tool_calls":[{"function":{"name":"f","arguments":"{}"}}]}`,
		`{"messages":[{"role":"user","content":"q"}],"tools":null,"chat_template_kwargs":{"enable_thinking":false},"chat_template":"{{ messages }}","tool_choice":null}`,
	}
	var buf []byte
	for i, in := range ins {
		k, payload, b, err := Payload(&in, buf)
		buf = b
		if err != nil || k != in.Kind {
			t.Fatalf("%s: kind %v, err %v", in.Kind, k, err)
		}
		if k == Text {
			if payload != in.Text {
				t.Errorf("text payload %q", payload)
			}
			if _, err := DecodePayload(k, []byte(payload)); err == nil {
				t.Error("a text payload decoded as a structured item")
			}
			continue
		}
		v, err := DecodePayload(k, []byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(pyvalue.AppendJSON(nil, v)); got != want[i] {
			t.Errorf("%s payload:\n got %s\nwant %s", k, got, want[i])
		}
	}
	if _, _, _, err := Payload(&Input{Kind: 7}, nil); err == nil {
		t.Error("unknown kind accepted")
	}
	if ISL.String() != "isl" || OSL.String() != "osl" || TPOT.String() != "tpot_ns" || Prompt.String() != "prompt" {
		t.Error("names")
	}
}
