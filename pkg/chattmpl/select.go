package chattmpl

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
)

// ErrNoTemplate is returned when neither the request nor the tokenizer
// provides a chat template (transformers raises ValueError).
var ErrNoTemplate = errors.New("no chat template: the tokenizer has none and the request gives none")

// Select returns the template source transformers' get_chat_template
// picks from the model's templates (cfg, as tokenize.LoadDir builds them
// from tokenizer_config.json and the template files). With named
// templates (the dict form): a per-request string naming one of them
// selects it, any other per-request string is the template itself;
// without one, "tool_use" when hasTools (tools is not None) and it exists,
// else "default", else an error. With a single template: the per-request
// string if given, else the tokenizer's; neither is ErrNoTemplate.
func Select(cfg *tokenize.Config, perRequest *string, hasTools bool) (string, error) {
	if cfg != nil && cfg.ChatTemplates != nil {
		if perRequest != nil {
			if src, ok := cfg.ChatTemplates[*perRequest]; ok {
				return src, nil
			}
			return *perRequest, nil
		}
		if src, ok := cfg.ChatTemplates["tool_use"]; ok && hasTools {
			return src, nil
		}
		if src, ok := cfg.ChatTemplates["default"]; ok {
			return src, nil
		}
		return "", errors.New("the tokenizer has named chat templates but no \"default\" and the request names none")
	}
	if perRequest != nil {
		return *perRequest, nil
	}
	if cfg == nil || !cfg.HasChatTemplate {
		return "", ErrNoTemplate
	}
	return cfg.ChatTemplate, nil
}

// specialTokenNames are transformers' SPECIAL_TOKENS_ATTRIBUTES, whose
// set values special_tokens_map passes to every render.
var specialTokenNames = []string{"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}

// SpecialTokens returns the template variables transformers adds from the
// tokenizer (special_tokens_map): each set special token as its string
// (an AddedToken dict as its content), and additional_special_tokens as a
// list of strings when non-empty.
func SpecialTokens(cfg *tokenize.Config) ([]pyvalue.KV, error) {
	if cfg == nil {
		return nil, nil
	}
	var out []pyvalue.KV
	for _, name := range specialTokenNames {
		s, ok, err := tokenString(cfg.Raw[name])
		if err != nil {
			return nil, fmt.Errorf("tokenizer_config.json %s: %w", name, err)
		}
		if ok && s != "" {
			out = append(out, pyvalue.KV{Key: pyvalue.Str(name), Value: pyvalue.Str(s)})
		}
	}
	if raw, ok := cfg.Raw["additional_special_tokens"]; ok {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err == nil && len(list) > 0 {
			arr := make([]pyvalue.Value, 0, len(list))
			for _, r := range list {
				s, ok, err := tokenString(r)
				if err != nil {
					return nil, fmt.Errorf("tokenizer_config.json additional_special_tokens: %w", err)
				}
				if ok {
					arr = append(arr, pyvalue.Str(s))
				}
			}
			out = append(out, pyvalue.KV{Key: pyvalue.Str("additional_special_tokens"), Value: pyvalue.ArrayOf(arr...)})
		}
	}
	return out, nil
}

// tokenString decodes a special token given as a string or an AddedToken
// dict; ok is false for an absent or null token.
func tokenString(raw json.RawMessage) (string, bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true, nil
	}
	var d struct {
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(raw, &d); err != nil || d.Content == nil {
		return "", false, fmt.Errorf("neither a string nor an AddedToken dict: %.60s", raw)
	}
	return *d.Content, true, nil
}
