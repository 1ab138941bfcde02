package tokenize

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

// parseBPE reads the "model" object with the hand-written scanner (the
// vocab and merges are most of the file).
func parseBPE(data []byte, byteLevel bool) (*bpeModel, error) {
	m := &bpeModel{unkID: -1, byteLevel: byteLevel}
	sc := &jsonScanner{data: data}
	var (
		typ          *string
		unk          *string
		dropout      []byte
		vocabSeen    bool
		mergesSpan   []byte
		mergesSeen   bool
		prefix, suff *string
	)
	err := sc.object(func(key string) error {
		var err error
		switch key {
		case "type":
			typ, err = sc.strOrNull()
		case "dropout":
			dropout, err = sc.skip()
		case "unk_token":
			unk, err = sc.strOrNull()
		case "continuing_subword_prefix":
			prefix, err = sc.strOrNull()
		case "end_of_word_suffix":
			suff, err = sc.strOrNull()
		case "fuse_unk":
			m.fuseUnk, err = sc.boolOrNull(m.fuseUnk)
		case "byte_fallback":
			m.byteFallback, err = sc.boolOrNull(m.byteFallback)
		case "ignore_merges":
			m.ignoreMerges, err = sc.boolOrNull(m.ignoreMerges)
		case "vocab":
			if sc.peek() != '{' { // not a BPE vocab; the type check reports it
				_, err = sc.skip()
				break
			}
			vocabSeen = true
			m.vocab, err = sc.vocab()
		case "merges":
			mergesSeen = true
			mergesSpan, err = sc.skip()
		default:
			_, err = sc.skip()
		}
		if err != nil {
			return fmt.Errorf("model.%s: %w", key, err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("parse model: %w", err)
	}
	if typ == nil {
		return nil, errors.New("unsupported model: no \"type\"")
	}
	if *typ != "BPE" {
		return nil, fmt.Errorf("unsupported model %q", *typ)
	}
	if d := bytes.TrimSpace(dropout); len(d) > 0 && !bytes.Equal(d, []byte("null")) {
		if f, ok := parseZero(d); !ok || f {
			return nil, fmt.Errorf("BPE dropout not supported (dropout %s)", d)
		}
	}
	if !vocabSeen || !mergesSeen {
		return nil, errors.New("BPE model: missing vocab/merges")
	}
	if prefix != nil {
		m.prefix = *prefix
	}
	if suff != nil {
		m.suffix = *suff
	}
	m.vocabSize = len(m.vocab)
	// Unique ids (the merge loop's stale-entry argument relies on one
	// string per id).
	seen := make([]bool, 0, len(m.vocab))
	for _, id := range m.vocab {
		if int(id) >= len(seen) {
			if int(id) > 8*len(m.vocab)+1024 {
				return nil, fmt.Errorf("BPE vocab: id %d is far beyond the vocab size %d", id, len(m.vocab))
			}
			seen = append(seen, make([]bool, int(id)+1-len(seen))...)
		}
		if seen[id] {
			return nil, fmt.Errorf("unsupported BPE vocab: two tokens share id %d", id)
		}
		seen[id] = true
	}
	if unk != nil {
		id, ok := m.vocab[*unk]
		if !ok {
			return nil, fmt.Errorf("BPE unk_token %q is not in the vocab", *unk)
		}
		m.unkID = int64(id)
	}
	for b := range 256 {
		m.fallbackIDs[b] = -1
		if id, ok := m.vocab[fmt.Sprintf("<0x%02X>", b)]; ok {
			m.fallbackIDs[b] = int32(id)
		}
		m.byteIDs[b] = -1
		if id, ok := m.vocab[bytesCharStr[b]]; ok {
			m.byteIDs[b] = int32(id)
		}
	}
	if !byteLevel {
		m.charIDs = make([]int32, 1<<16)
		for i := range m.charIDs {
			m.charIDs[i] = -1
		}
		for s, id := range m.vocab {
			if r, size := utf8.DecodeRuneInString(s); size == len(s) && r < 1<<16 && s != "" {
				m.charIDs[r] = int32(id)
			}
		}
	}
	if err := m.parseMerges(mergesSpan); err != nil {
		return nil, err
	}
	return m, nil
}

// parseZero reports whether d is a number and whether it is non-zero.
func parseZero(d []byte) (nonZero bool, ok bool) {
	var f float64
	if _, err := fmt.Sscan(string(d), &f); err != nil {
		return false, false
	}
	return f != 0, true
}

func (s *jsonScanner) boolOrNull(def bool) (bool, error) {
	switch {
	case s.peek() == 'n' && s.literal("null"):
		return def, nil
	case s.peek() == 't' && s.literal("true"):
		return true, nil
	case s.peek() == 'f' && s.literal("false"):
		return false, nil
	}
	return false, s.errorf("expected a boolean")
}

// vocab reads {"token": id, ...}; a later duplicate key wins, as in serde.
func (s *jsonScanner) vocab() (map[string]uint32, error) {
	v := make(map[string]uint32, 1<<17)
	err := s.object(func(key string) error {
		id, err := s.uint32()
		if err != nil {
			return err
		}
		v[key] = id
		return nil
	})
	return v, err
}

// parseMerges reads the merges in either format ("a b" strings or [a, b]
// pairs) and builds the merge table; rank = position, a later duplicate
// pair overrides, "#version" lines are skipped in the string format.
func (m *bpeModel) parseMerges(data []byte) error {
	sc := &jsonScanner{data: data}
	m.merges = newMergeTable(bytes.Count(data, []byte{','}) / 2)
	wantJunctions := !m.byteLevel && m.prefix == "" && m.suffix == ""
	if wantJunctions {
		m.junctions = newPairSet(1 << 16)
	}
	var buf []byte
	rank := uint32(0)
	format := 0 // 1: strings, 2: pairs
	err := sc.array(func(i int) error {
		var a, b []byte
		switch sc.peek() {
		case '"':
			if format == 2 {
				return sc.errorf("mixed merge formats")
			}
			format = 1
			line, err := sc.strBytes()
			if err != nil {
				return err
			}
			if bytes.HasPrefix(line, []byte("#version")) {
				return nil
			}
			sp := bytes.IndexByte(line, ' ')
			if sp < 0 || bytes.IndexByte(line[sp+1:], ' ') >= 0 {
				return fmt.Errorf("merges: bad merge %d %q", rank+1, line)
			}
			a, b = line[:sp], line[sp+1:]
		case '[':
			if format == 1 {
				return sc.errorf("mixed merge formats")
			}
			format = 2
			n := 0
			err := sc.array(func(k int) error {
				v, err := sc.strBytes()
				if err != nil {
					return err
				}
				if k == 0 {
					a = v
				} else {
					b = v
				}
				n++
				return nil
			})
			if err != nil {
				return err
			}
			if n != 2 {
				return sc.errorf("merge pair with %d elements", n)
			}
		default:
			return sc.errorf("bad merge")
		}
		aID, ok := m.vocab[string(a)]
		if !ok {
			return fmt.Errorf("merges: token %q not in vocab", a)
		}
		bID, ok := m.vocab[string(b)]
		if !ok {
			return fmt.Errorf("merges: token %q not in vocab", b)
		}
		if len(b) < len(m.prefix) {
			return fmt.Errorf("merges: token %q shorter than the subword prefix", b)
		}
		buf = append(append(buf[:0], a...), b[len(m.prefix):]...)
		newID, ok := m.vocab[string(buf)]
		if !ok {
			return fmt.Errorf("merges: merged token %q not in vocab", buf)
		}
		m.merges.put(aID, bID, rank, newID)
		rank++
		if wantJunctions {
			ra, _ := utf8.DecodeLastRune(a)
			rb, _ := utf8.DecodeRune(b)
			m.junctions.add(ra, rb)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("parse model.merges: %w", err)
	}
	return nil
}
