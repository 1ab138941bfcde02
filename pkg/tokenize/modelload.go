package tokenize

import (
	"errors"
	"fmt"
)

// parseModel reads the "model" object of a tokenizer.json and builds the
// model its "type" names. Without a "type" (files written by old versions
// of the library) the kind is inferred from the fields, in the order HF's
// untagged fallback tries them: BPE, WordPiece, WordLevel, Unigram.
func parseModel(data []byte, byteLevel bool) (model, error) {
	typ, fields, err := modelShape(data)
	if err != nil {
		return nil, fmt.Errorf("parse model: %w", err)
	}
	if typ == "" {
		switch {
		case fields["vocab"] == '{' && fields["merges"] != 0:
			typ = "BPE"
		case fields["vocab"] == '{' && fields["unk_token"] != 0 && fields["continuing_subword_prefix"] != 0 && fields["max_input_chars_per_word"] != 0:
			typ = "WordPiece"
		case fields["vocab"] == '{' && fields["unk_token"] != 0:
			typ = "WordLevel"
		case fields["vocab"] == '[':
			typ = "Unigram"
		default:
			return nil, errors.New("unsupported model: no \"type\" and the fields fit no model")
		}
	}
	switch typ {
	case "BPE":
		return parseBPE(data, byteLevel)
	case "WordPiece":
		return parseWordPiece(data)
	case "WordLevel":
		return parseWordLevel(data)
	case "Unigram":
		return parseUnigram(data)
	default:
		return nil, fmt.Errorf("unsupported model %q", typ)
	}
}

// modelShape returns the model's "type" ("" if absent) and, for each
// top-level key, the first byte of its value.
func modelShape(data []byte) (string, map[string]byte, error) {
	sc := &jsonScanner{data: data}
	fields := map[string]byte{}
	typ := ""
	err := sc.object(func(key string) error {
		fields[key] = sc.peek()
		if key == "type" {
			s, err := sc.strOrNull()
			if err != nil {
				return fmt.Errorf("model.type: %w", err)
			}
			if s == nil {
				return errors.New("model.type: null")
			}
			typ = *s
			return nil
		}
		_, err := sc.skip()
		return err
	})
	return typ, fields, err
}

// vocabIDs checks that the ids of a token -> id vocab are not absurdly
// far beyond its size (a corrupt file) and returns the number of entries.
func vocabIDs(what string, vocab map[string]uint32) error {
	for _, id := range vocab {
		if int(id) > 8*len(vocab)+1024 {
			return fmt.Errorf("%s vocab: id %d is far beyond the vocab size %d", what, id, len(vocab))
		}
	}
	return nil
}
