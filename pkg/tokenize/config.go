package tokenize

import (
	"encoding/json"
	"fmt"
)

// Config is the part of tokenizer_config.json the aggregator uses, with
// the whole file kept raw for the chat-template work.
type Config struct {
	// ChatTemplate is the default template; ChatTemplates holds all named
	// ones when the file has a list of {name, template}.
	ChatTemplate  string
	ChatTemplates map[string]string

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
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			c.ChatTemplate = s
		} else {
			var list []struct {
				Name     string `json:"name"`
				Template string `json:"template"`
			}
			if err := json.Unmarshal(v, &list); err != nil {
				return nil, fmt.Errorf("chat_template: neither a string nor a list of {name, template}: %w", err)
			}
			c.ChatTemplates = map[string]string{}
			for _, t := range list {
				c.ChatTemplates[t.Name] = t.Template
			}
			c.ChatTemplate = c.ChatTemplates["default"]
		}
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
