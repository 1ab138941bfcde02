package tokenize

import (
	"encoding/json"
	"fmt"
)

// Config is the part of tokenizer_config.json the aggregator uses, with
// the whole file kept raw for the chat-template work, and the model's chat
// templates.
type Config struct {
	// The model's chat templates, as transformers holds them in
	// tokenizer.chat_template after from_pretrained: from
	// tokenizer_config.json's "chat_template" (ParseConfig), replaced by
	// the template files of the model directory when it has any (LoadDir,
	// see chattemplates.go). ChatTemplates non-nil is the dict form: named
	// templates, ChatTemplate then being the "default" one (for logs).
	// Otherwise HasChatTemplate says whether ChatTemplate (a str, possibly
	// empty) is set. ChatTemplateSource says where they came from ("" when
	// there are none).
	ChatTemplate       string
	ChatTemplates      map[string]string
	HasChatTemplate    bool
	ChatTemplateSource string

	BOSToken, EOSToken, UNKToken, PADToken *TokenSpec

	AddBOSToken, AddEOSToken *bool

	// Raw maps every top-level key to its raw JSON.
	Raw map[string]json.RawMessage
}

// TokenSpec is a special token given either as a string or as an
// AddedToken dict.
type TokenSpec struct {
	Content    string
	Lstrip     bool
	Rstrip     bool
	Normalized bool
	SingleWord bool
	Special    bool
	// Dict is true when the file had the AddedToken dict form.
	Dict bool
}

// ParseConfig parses the bytes of a tokenizer_config.json.
func ParseConfig(data []byte) (*Config, error) {
	c := &Config{}
	if err := json.Unmarshal(data, &c.Raw); err != nil {
		return nil, fmt.Errorf("parse tokenizer config: %w", err)
	}
	if v, ok := c.Raw["chat_template"]; ok && !isNull(v) {
		if err := c.parseChatTemplate(v); err != nil {
			return nil, fmt.Errorf("chat_template: %w", err)
		}
		c.HasChatTemplate = true
		c.ChatTemplateSource = "tokenizer_config.json"
	}
	var err error
	for _, f := range []struct {
		key string
		dst **TokenSpec
	}{{"bos_token", &c.BOSToken}, {"eos_token", &c.EOSToken}, {"unk_token", &c.UNKToken}, {"pad_token", &c.PADToken}} {
		if *f.dst, err = parseTokenSpec(c.Raw[f.key]); err != nil {
			return nil, fmt.Errorf("%s: %w", f.key, err)
		}
	}
	for _, f := range []struct {
		key string
		dst **bool
	}{{"add_bos_token", &c.AddBOSToken}, {"add_eos_token", &c.AddEOSToken}} {
		if v, ok := c.Raw[f.key]; ok && !isNull(v) {
			var b bool
			if err := json.Unmarshal(v, &b); err != nil {
				return nil, fmt.Errorf("%s: %w", f.key, err)
			}
			*f.dst = &b
		}
	}
	return c, nil
}

// parseChatTemplate reads tokenizer_config.json's chat_template as
// transformers' __init__ keeps it: a string; a list of {name, template}
// turned into a dict (a later duplicate name wins); or a dict of name →
// template as is. Anything transformers could not render is refused.
func (c *Config) parseChatTemplate(v json.RawMessage) error {
	if s, ok := jsonString(v); ok {
		c.ChatTemplate = s
		return nil
	}
	named := map[string]string{}
	var list []map[string]json.RawMessage
	var dict map[string]json.RawMessage
	switch {
	case json.Unmarshal(v, &list) == nil:
		for i, e := range list {
			name, ok := jsonString(e["name"])
			if !ok {
				return fmt.Errorf("entry %d: \"name\" is not a string", i)
			}
			if named[name], ok = jsonString(e["template"]); !ok {
				return fmt.Errorf("entry %d (%q): \"template\" is not a string", i, name)
			}
		}
	case json.Unmarshal(v, &dict) == nil:
		for name, raw := range dict {
			var ok bool
			if named[name], ok = jsonString(raw); !ok {
				return fmt.Errorf("template %q is not a string", name)
			}
		}
	default:
		return fmt.Errorf("neither a string, a list of {name, template} nor a dict of templates: %.60s", v)
	}
	c.ChatTemplates = named
	c.ChatTemplate = named["default"]
	return nil
}

// jsonString decodes a JSON string; ok is false for anything else
// (including null and an absent value).
func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func parseTokenSpec(v json.RawMessage) (*TokenSpec, error) {
	if len(v) == 0 || isNull(v) {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return &TokenSpec{Content: s}, nil
	}
	var d struct {
		Content    string `json:"content"`
		Lstrip     bool   `json:"lstrip"`
		Rstrip     bool   `json:"rstrip"`
		Normalized bool   `json:"normalized"`
		SingleWord bool   `json:"single_word"`
		Special    bool   `json:"special"`
	}
	if err := json.Unmarshal(v, &d); err != nil {
		return nil, fmt.Errorf("neither a string nor an AddedToken dict: %w", err)
	}
	return &TokenSpec{Content: d.Content, Lstrip: d.Lstrip, Rstrip: d.Rstrip, Normalized: d.Normalized,
		SingleWord: d.SingleWord, Special: d.Special, Dict: true}, nil
}
