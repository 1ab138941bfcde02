package tokenize

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseConfigChatTemplate: tokenizer_config.json's chat_template as
// transformers' __init__ keeps it: a str, a list of {name, template} as a
// dict (a later duplicate wins), a dict as is, null as none; anything
// transformers could not render is refused.
func TestParseConfigChatTemplate(t *testing.T) {
	for _, tc := range []struct {
		json   string
		has    bool
		single string
		named  map[string]string
	}{
		{`{}`, false, "", nil},
		{`{"chat_template": null}`, false, "", nil},
		{`{"chat_template": ""}`, true, "", nil},
		{`{"chat_template": "T"}`, true, "T", nil},
		{`{"chat_template": [{"name": "default", "template": "D"}, {"name": "x", "template": "1"}, {"name": "x", "template": "2"}]}`, true, "", map[string]string{"default": "D", "x": "2"}},
		{`{"chat_template": []}`, true, "", map[string]string{}},
		{`{"chat_template": {"tool_use": "U"}}`, true, "", map[string]string{"tool_use": "U"}},
	} {
		c, err := ParseConfig([]byte(tc.json))
		if err != nil {
			t.Errorf("%s: %v", tc.json, err)
			continue
		}
		if c.HasChatTemplate != tc.has || (tc.named == nil && c.ChatTemplate != tc.single) ||
			(tc.named == nil) != (c.ChatTemplates == nil) || !maps.Equal(c.ChatTemplates, tc.named) {
			t.Errorf("%s: has %v single %q named %v", tc.json, c.HasChatTemplate, c.ChatTemplate, c.ChatTemplates)
		}
		if tc.has && c.ChatTemplateSource != "tokenizer_config.json" {
			t.Errorf("%s: source %q", tc.json, c.ChatTemplateSource)
		}
	}
	for _, bad := range []string{`{"chat_template": 5}`, `{"chat_template": [{"template": "T"}]}`, `{"chat_template": [{"name": "a", "template": null}]}`, `{"chat_template": {"a": 1}}`} {
		if _, err := ParseConfig([]byte(bad)); err == nil || !strings.Contains(err.Error(), "chat_template") {
			t.Errorf("%s: %v, want an error naming chat_template", bad, err)
		}
	}
}

// writeDir writes files (path → content; a content "<dir>" makes a
// directory) under a copy-free model directory with the tiny tokenizer.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	src, err := filepath.Abs(filepath.Join("..", "..", "cmd", "aggregator", "testdata", "tokens", "tiny", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(src, filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if content == "<dir>" {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestLoadDirChatTemplateFiles: the template files replace the config's
// templates with transformers' rules (pkg/chattmpl's file test renders
// the same cases against transformers' loading in render.py).
func TestLoadDirChatTemplateFiles(t *testing.T) {
	const cfg = `{"chat_template": [{"name": "default", "template": "CFG"}, {"name": "rag", "template": "R"}]}`
	for _, tc := range []struct {
		name   string
		files  map[string]string
		single *string // the str form, or
		named  map[string]string
		source string
	}{
		{"config only", map[string]string{"tokenizer_config.json": cfg}, nil, map[string]string{"default": "CFG", "rag": "R"}, "tokenizer_config.json"},
		{"chat_template.jinja replaces the list", map[string]string{"tokenizer_config.json": cfg, "chat_template.jinja": "J\n"}, ptr("J\n"), nil, "chat_template.jinja"},
		{"no tokenizer_config.json", map[string]string{"chat_template.jinja": ""}, ptr(""), nil, "chat_template.jinja"},
		{"with additional", map[string]string{"tokenizer_config.json": `{"chat_template": "CFG"}`, "chat_template.jinja": "J", "additional_chat_templates/tool_use.jinja": "U", "additional_chat_templates/.hidden.jinja": "H"},
			nil, map[string]string{"default": "J", "tool_use": "U", ".hidden": "H"}, "chat_template.jinja, additional_chat_templates/.hidden.jinja, additional_chat_templates/tool_use.jinja"},
		{"additional only", map[string]string{"tokenizer_config.json": cfg, "additional_chat_templates/tool_use.jinja": "U"}, nil, map[string]string{"tool_use": "U"}, "additional_chat_templates/tool_use.jinja"},
		{"additional default alone", map[string]string{"additional_chat_templates/default.jinja": "D"}, ptr("D"), nil, "additional_chat_templates/default.jinja"},
		{"additional default wins", map[string]string{"chat_template.jinja": "J", "additional_chat_templates/default.jinja": "D"}, ptr("D"), nil, "chat_template.jinja, additional_chat_templates/default.jinja"},
		{"file.jinja takes chat_template.jinja's key", map[string]string{"chat_template.jinja": "J", "additional_chat_templates/file.jinja": "F"}, ptr("F"), nil, "chat_template.jinja"},
		{"not files, not .jinja, not direct, chat_template.json", map[string]string{"tokenizer_config.json": `{"chat_template": "CFG"}`,
			"chat_template.json": `{"chat_template": "P"}`, "additional_chat_templates/x.jinja": "<dir>", "additional_chat_templates/y.JINJA": "Y",
			"additional_chat_templates/sub/z.jinja": "Z", "additional_chat_templates/w.jinja.txt": "W"}, ptr("CFG"), nil, "tokenizer_config.json"},
		{"chat_template.jinja a directory", map[string]string{"chat_template.jinja": "<dir>"}, nil, nil, ""},
		{"additional_chat_templates a file", map[string]string{"chat_template.jinja": "J", "additional_chat_templates": "x"}, ptr("J"), nil, "chat_template.jinja"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := LoadDir(writeDir(t, tc.files))
			if err != nil {
				t.Fatal(err)
			}
			c := tok.Config()
			switch {
			case tc.single != nil:
				if !c.HasChatTemplate || c.ChatTemplates != nil || c.ChatTemplate != *tc.single {
					t.Errorf("want the single template %q; has %v %q %v", *tc.single, c.HasChatTemplate, c.ChatTemplate, c.ChatTemplates)
				}
			case tc.named != nil:
				if !c.HasChatTemplate || !maps.Equal(c.ChatTemplates, tc.named) {
					t.Errorf("want named %v; has %v %v", tc.named, c.HasChatTemplate, c.ChatTemplates)
				}
			default:
				if c.HasChatTemplate {
					t.Errorf("want no template; has %q %v", c.ChatTemplate, c.ChatTemplates)
				}
			}
			if c.ChatTemplateSource != tc.source {
				t.Errorf("source %q, want %q", c.ChatTemplateSource, tc.source)
			}
		})
	}
	if _, err := LoadDir(writeDir(t, map[string]string{"additional_chat_templates/bad.jinja": "a\xffb"})); err == nil || !strings.Contains(err.Error(), "bad.jinja") {
		t.Errorf("invalid UTF-8 template: %v, want an error naming it", err)
	}
}

func ptr(s string) *string { return &s }
