package tokpipe

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/tokenize"
)

// TestLogChatTemplates: the start-up line says which templates the
// workers will render and from where, or that there are none anywhere
// transformers looks (tokenizer_config.json and the template files).
func TestLogChatTemplates(t *testing.T) {
	for _, tc := range []struct {
		cfg  *tokenize.Config
		want []string
	}{
		{&tokenize.Config{}, []string{"has no chat template", "tokenizer_config.json", "chat_template.jinja", "additional_chat_templates/*.jinja", "fallback"}},
		{&tokenize.Config{HasChatTemplate: true, ChatTemplateSource: "chat_template.jinja"}, []string{`msg="chat template"`, "from=chat_template.jinja"}},
		{&tokenize.Config{HasChatTemplate: true, ChatTemplates: map[string]string{"tool_use": "", "default": ""},
			ChatTemplateSource: "chat_template.jinja, additional_chat_templates/tool_use.jinja"}, []string{`msg="chat templates"`, "names=default,tool_use", "additional_chat_templates/tool_use.jinja"}},
	} {
		var b bytes.Buffer
		logChatTemplates(slog.New(slog.NewTextHandler(&b, nil)), "org/model", tc.cfg)
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("log %q lacks %q", b.String(), w)
			}
		}
	}
}
