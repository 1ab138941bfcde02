package chattmpl

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/internal/tokoracle"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
)

// benchConversation is a 20-message conversation (system, 19 alternating
// turns of a few sentences each) as a --chat request line.
func benchConversation() string {
	var b strings.Builder
	b.WriteString(`{"messages": [{"role": "system", "content": "You are a helpful assistant."}`)
	for i := 1; i < 20; i++ {
		role := "user"
		if i%2 == 0 {
			role = "assistant"
		}
		fmt.Fprintf(&b, `, {"role": %q, "content": "Turn %d: %s"}`, role, i, strings.Repeat("The quick brown fox jumps over the lazy dog. ", 6))
	}
	b.WriteString(`]}`)
	return b.String()
}

// BenchmarkDeepSeekV3 measures renders/s and render+count/s of the
// DeepSeek-V3 template on benchConversation.
func BenchmarkDeepSeekV3(b *testing.B) {
	m, err := tokoracle.Lookup("deepseek_v3")
	if err != nil {
		b.Skip(err)
	}
	tok, err := tokenize.LoadDir(m.Dir)
	if err != nil {
		b.Fatal(err)
	}
	c, err := NewCounter(tok)
	if err != nil {
		b.Fatal(err)
	}
	req, err := ParseRequest(benchConversation())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("render", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.RenderPrompt(*req.Prompt); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("count", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.CountPrompt(*req.Prompt); err != nil {
				b.Fatal(err)
			}
		}
	})
}
