package tokenize

import (
	"errors"
	"fmt"
)

// wordLevelModel is HF's WordLevel model: a pre-token is one vocab entry,
// else the unk token.
type wordLevelModel struct {
	vocabModel
}

// vocabModel is the vocab of a WordLevel or WordPiece model and its unk
// token.
type vocabModel struct {
	vocab map[string]uint32
	unk   string
	unkID int64 // -1: unk_token not in the vocab (HF fails the encode when it needs it)
}

// setUnk sets the unk token and finds its id.
func (m *vocabModel) setUnk(unk string) {
	m.unk, m.unkID = unk, -1
	if id, ok := m.vocab[unk]; ok {
		m.unkID = int64(id)
	}
}

func (m *vocabModel) size() int { return len(m.vocab) }

func (m *vocabModel) tokenID(s string) (uint32, bool) {
	id, ok := m.vocab[s]
	return id, ok
}

func parseWordLevel(data []byte) (*wordLevelModel, error) {
	m := &wordLevelModel{}
	sc := &jsonScanner{data: data}
	var unk *string
	err := sc.object(func(key string) error {
		var err error
		switch key {
		case "type":
			var t *string
			if t, err = sc.strOrNull(); err == nil && (t == nil || *t != "WordLevel") {
				err = errors.New("not WordLevel")
			}
		case "unk_token":
			unk, err = sc.strOrNull()
			if err == nil && unk == nil {
				err = errors.New("null")
			}
		case "vocab":
			m.vocab, err = sc.vocab()
		default:
			_, err = sc.skip()
		}
		if err != nil {
			return fmt.Errorf("model.%s: %w", key, err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("parse WordLevel model: %w", err)
	}
	if unk == nil {
		return nil, errors.New("WordLevel model: missing field unk_token")
	}
	if m.vocab == nil {
		return nil, errors.New("WordLevel model: missing field vocab")
	}
	if err := vocabIDs("WordLevel", m.vocab); err != nil {
		return nil, err
	}
	m.setUnk(*unk)
	return m, nil
}

// tokenize is HF's WordLevel::tokenize: one map lookup, so the Tokenizer
// skips the word cache for it (noWordCache).
func (m *wordLevelModel) tokenize(c *Counter, w string) error {
	id, ok := m.vocab[w]
	if !ok {
		if m.unkID < 0 {
			return fmt.Errorf("WordLevel: unk_token %q is not in the vocab and %q needs it", m.unk, clipString(w))
		}
		id = uint32(m.unkID)
	}
	c.emit(id)
	return nil
}
