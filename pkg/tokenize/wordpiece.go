package tokenize

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// wordPieceModel is HF's WordPiece model (models/wordpiece): greedy
// longest-match-first over the vocab, continuation pieces carrying the
// subword prefix; a word that cannot be covered, or that has more than
// max_input_chars_per_word characters, is the unk token alone.
type wordPieceModel struct {
	vocabModel
	prefix   string // continuing_subword_prefix
	maxChars int    // max_input_chars_per_word
}

func parseWordPiece(data []byte) (*wordPieceModel, error) {
	m := &wordPieceModel{}
	sc := &jsonScanner{data: data}
	var unk, prefix *string
	var maxSeen bool
	err := sc.object(func(key string) error {
		var err error
		switch key {
		case "type":
			var t *string
			if t, err = sc.strOrNull(); err == nil && (t == nil || *t != "WordPiece") {
				err = errors.New("not WordPiece")
			}
		case "unk_token":
			unk, err = sc.strOrNull()
			if err == nil && unk == nil {
				err = errors.New("null")
			}
		case "continuing_subword_prefix":
			prefix, err = sc.strOrNull()
			if err == nil && prefix == nil {
				err = errors.New("null")
			}
		case "max_input_chars_per_word":
			var n uint32
			n, err = sc.uint32()
			m.maxChars, maxSeen = int(n), true
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
		return nil, fmt.Errorf("parse WordPiece model: %w", err)
	}
	switch {
	case unk == nil:
		return nil, errors.New("WordPiece model: missing field unk_token")
	case prefix == nil:
		return nil, errors.New("WordPiece model: missing field continuing_subword_prefix")
	case !maxSeen:
		return nil, errors.New("WordPiece model: missing field max_input_chars_per_word")
	case m.vocab == nil:
		return nil, errors.New("WordPiece model: missing field vocab")
	}
	if err := vocabIDs("WordPiece", m.vocab); err != nil {
		return nil, err
	}
	m.prefix = *prefix
	m.setUnk(*unk)
	return m, nil
}

// tokenize is HF's WordPiece::tokenize.
func (m *wordPieceModel) tokenize(c *Counter, w string) error {
	if utf8.RuneCountInString(w) > m.maxChars {
		return m.emitUnk(c, w)
	}
	ids := c.bpe.syms[:0]
	for start := 0; start < len(w); {
		end := len(w)
		found := false
		for start < end {
			var id uint32
			var ok bool
			if start == 0 {
				id, ok = m.vocab[w[:end]]
			} else {
				c.wp = append(append(c.wp[:0], m.prefix...), w[start:end]...)
				id, ok = m.vocab[string(c.wp)]
			}
			if ok {
				ids = append(ids, id)
				found = true
				break
			}
			_, size := utf8.DecodeLastRuneInString(w[start:end])
			end -= size
		}
		if !found {
			c.bpe.syms = ids
			return m.emitUnk(c, w)
		}
		start = end
	}
	c.bpe.syms = ids
	c.emitCached(w, ids)
	return nil
}

func (m *wordPieceModel) emitUnk(c *Counter, w string) error {
	if m.unkID < 0 {
		return fmt.Errorf("WordPiece: unk_token %q is not in the vocab and %q needs it", m.unk, clipString(w))
	}
	c.one[0] = uint32(m.unkID)
	c.emitCached(w, c.one[:])
	return nil
}

func clipString(s string) string {
	if len(s) <= 40 {
		return s
	}
	i := 40
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
