package tokcorpus

import "strings"

// SpecialTokens are added-token strings taken from the tokenizer.json files
// of the oracle's models (scripts/tokenizer-oracle): every named one and the
// first, second, middle and last reserved/placeholder token of each. They are
// embedded rather than read from the files so the corpus does not depend on
// what is installed; internal/tokoracle checks them against the files.
var SpecialTokens = map[string][]string{
	"deepseek_v3": {"<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>", "<｜fim▁hole｜>", "<｜fim▁begin｜>", "<｜fim▁end｜>", "<｜User｜>", "<｜Assistant｜>", "<|EOT|>", "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>", "<｜tool▁call▁end｜>", "<｜tool▁outputs▁begin｜>", "<｜tool▁outputs▁end｜>", "<｜tool▁output▁begin｜>", "<｜tool▁output▁end｜>", "<｜tool▁sep｜>", "<｜place▁holder▁no▁0｜>", "<｜place▁holder▁no▁1｜>", "<｜place▁holder▁no▁400｜>", "<｜place▁holder▁no▁799｜>"},
	"llama3":      {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>", "<|reserved_special_token_125|>", "<|reserved_special_token_250|>"},
	"qwen3":       {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>", "<tool_response>", "</tool_response>", "<think>", "</think>"},
	"gptoss":      {"<|startoftext|>", "<|endoftext|>", "<|return|>", "<|constrain|>", "<|channel|>", "<|start|>", "<|end|>", "<|message|>", "<|call|>", "<|endofprompt|>", "<|reserved_200000|>", "<|reserved_200001|>", "<|reserved_200011|>", "<|reserved_200017|>"},
	"llama2":      {"<unk>", "<s>", "</s>"},
	"gemma3":      {"<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "[multimodal]", "<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<end_of_image>", "<image_soft_token>", "<unused0>", "<unused1>", "<unused3121>", "<unused6241>", "<table>", "</td>", "<h1>", "<strong>", "</code>", "<blockquote>", "▁▁", "▁▁▁▁", "\t\t", "\t\t\t\t\t", "\n\n"},
	// demo (internal/demotok) reuses strings of llama3 and qwen3, so it is
	// not in specialModels: the corpus already holds each of its tokens.
	"demo": {"<|begin_of_text|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>", "<tool_call>", "</tool_call>"},
}

// specialModels fixes the iteration order of SpecialTokens.
var specialModels = []string{"deepseek_v3", "llama3", "qwen3", "gptoss", "llama2", "gemma3"}

// allSpecials returns every special token string, in a fixed order.
func allSpecials() []string {
	var out []string
	for _, m := range specialModels {
		out = append(out, SpecialTokens[m]...)
	}
	return out
}

// genSpecial writes special-token strings inside text (so each counts as
// one token for its own model and as plain text for the others), adjacent to
// each other and to whitespace, chat templates, and partial or mangled
// special tokens that must not match.
func genSpecial(s *sink, r *rng) {
	all := allSpecials()
	for _, m := range specialModels {
		toks := SpecialTokens[m]
		s.add(m+"-all", strings.Join(toks, ""))
		s.add(m+"-spaced", strings.Join(toks, " \n"))
		for i := 0; i < 12; i++ {
			var b strings.Builder
			for j := r.between(1, 6); j > 0; j-- {
				b.WriteString(pick(r, []string{"", " ", "\n", "Hello", " world", "'s", "字", "😀", "12345", "  ", "▁"}))
				b.WriteString(pick(r, toks))
				b.WriteString(pick(r, []string{"", " ", "\n\n", "x", "!", "\t", "é"}))
			}
			s.add(m+"-in-text", b.String())
		}
	}
	s.add("chat-llama3", "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat's 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
	s.add("chat-qwen3", "<|im_start|>system\nYou are Qwen.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nHello!<|im_end|>")
	s.add("chat-deepseek", "<｜begin▁of▁sentence｜>You are helpful.<｜User｜>Hi<｜Assistant｜><think>\nok\n</think>Hello<｜end▁of▁sentence｜>")
	s.add("chat-gptoss", "<|start|>system<|message|>You are ChatGPT.<|end|><|start|>user<|message|>Hi<|end|><|start|>assistant<|channel|>final<|message|>Hello<|return|>")
	s.add("chat-gemma", "<bos><start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n")
	s.add("chat-llama2", "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello </s><s>[INST] Again [/INST]")
	for _, tok := range all {
		rs := []rune(tok)
		if len(rs) < 3 {
			continue
		}
		cut := r.between(1, len(rs)-1)
		s.add("partial", string(rs[:cut])+" "+string(rs[cut:])+" "+string(rs[:cut]))
		if r.chance(40) {
			s.add("mangled", strings.ToUpper(tok)+" "+string(rs[1:])+string(rs[:len(rs)-1])+"<"+tok+">")
		}
	}
	s.add("partial-fixed", "<|begin_of <|im_start <|im_end| <｜end▁of▁sentence <|eot_id <|begin_of_text| |> <| <｜ ｜> <s <s/> </ s> <unk <start_of_turn")
	s.add("overlap", "<|<|begin_of_text|>|> <<s>> <</s>/s> <|im_start|im_start|> <|endoftext|><|endoftext|>")
}
