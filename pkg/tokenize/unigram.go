package tokenize

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"unicode/utf8"
)

// unigramModel is HF's Unigram model (models/unigram, encode_optimized):
// the segmentation of a pre-token with the highest sum of vocab scores
// (Viterbi over a byte trie of the vocab), an unknown character scored
// min_score - 10 and mapped to unk_id, consecutive unknowns fused into one
// piece (fuse_unk is always on), and byte_fallback applied to pieces that
// are not in the vocab.
//
// Ties are broken as HF's loop does, which matters with real vocabularies
// (many pieces share a score): a lattice position keeps the first path that
// reached it unless a later one is strictly better, and positions are
// reached from earlier starts first, shorter pieces first within a start.
// Scores are read from the JSON with serde_json's arithmetic
// (parseSerdeFloat), so the sums are the library's to the last bit.
type unigramModel struct {
	scores   []float64         // by id (the vocab list's order)
	ids      map[string]uint32 // token -> id; a duplicate token keeps its last id
	minScore float64
	unkID    int64 // -1: none (an unknown character fails the encode)
	fallback bool  // byte_fallback
	byteIDs  [256]int32

	// The vocab trie: node 0 is the root; a node's children are the
	// edges [first, first+n), sorted by label.
	root  [256]int32 // child of the root by byte, -1 if none
	term  []int32    // token id ending at the node, -1 if none
	first []uint32
	n     []uint16
	label []byte
	child []int32
}

// unigramScratch is the per-Counter lattice.
type unigramScratch struct {
	score []float64
	from  []int32 // start of the best piece ending here, -1: not reached
	id    []int32 // id of that piece
	ends  []int32 // piece ends, last to first, while backtracking
	out   []uint32
}

const unkPenalty = 10.0

func parseUnigram(data []byte) (*unigramModel, error) {
	m := &unigramModel{unkID: -1}
	sc := &jsonScanner{data: data}
	var tokens [][]byte
	vocabSeen := false
	err := sc.object(func(key string) error {
		var err error
		switch key {
		case "type":
			var t *string
			if t, err = sc.strOrNull(); err == nil && (t == nil || *t != "Unigram") {
				err = errors.New("not Unigram")
			}
		case "unk_id":
			if sc.peek() == 'n' && sc.literal("null") {
				break
			}
			var id uint32
			id, err = sc.uint32()
			m.unkID = int64(id)
		case "byte_fallback":
			m.fallback, err = sc.boolOrNull(false)
		case "vocab":
			vocabSeen = true
			err = sc.array(func(int) error {
				var tok []byte
				var score float64
				n := 0
				err := sc.array(func(k int) error {
					n++
					switch k {
					case 0:
						s, err := sc.strBytes()
						tok = s
						return err
					case 1:
						v, err := sc.skip()
						if err != nil {
							return err
						}
						score, err = parseSerdeFloat(v)
						return err
					}
					return errors.New("vocab entry with more than 2 elements")
				})
				if err != nil {
					return err
				}
				if n != 2 {
					return errors.New("vocab entry is not [token, score]")
				}
				tokens = append(tokens, tok)
				m.scores = append(m.scores, score)
				return nil
			})
		default:
			_, err = sc.skip()
		}
		if err != nil {
			return fmt.Errorf("model.%s: %w", key, err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("parse Unigram model: %w", err)
	}
	if !vocabSeen {
		return nil, errors.New("model Unigram: missing vocab")
	}
	if m.unkID >= 0 {
		if len(tokens) == 0 {
			return nil, errors.New("model Unigram: the vocabulary is empty but at least <unk> is needed")
		}
		if m.unkID >= int64(len(tokens)) {
			return nil, fmt.Errorf("model Unigram: unk_id %d is not in the vocabulary (%d pieces)", m.unkID, len(tokens))
		}
	}
	m.minScore = math.Inf(1)
	m.ids = make(map[string]uint32, len(tokens))
	for id, tok := range tokens {
		m.ids[string(tok)] = uint32(id)
		m.minScore = min(m.minScore, m.scores[id])
	}
	for b := range 256 {
		m.byteIDs[b] = -1
		if id, ok := m.ids[fmt.Sprintf("<0x%02X>", b)]; ok {
			m.byteIDs[b] = int32(id)
		}
	}
	m.buildTrie()
	return m, nil
}

// buildTrie builds the vocab trie from the distinct non-empty tokens in
// byte order, so each node's edges are contiguous and sorted.
func (m *unigramModel) buildTrie() {
	keys := make([]string, 0, len(m.ids))
	for k := range m.ids {
		if k != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	m.term = append(m.term, -1)
	m.first = append(m.first, 0)
	m.n = append(m.n, 0)
	m.fill(0, keys, 0)
	for i := range m.root {
		m.root[i] = -1
	}
	for e := m.first[0]; e < m.first[0]+uint32(m.n[0]); e++ {
		m.root[m.label[e]] = m.child[e]
	}
}

// fill adds the children of node for keys (sorted, all longer than depth,
// sharing their first depth bytes).
func (m *unigramModel) fill(node int32, keys []string, depth int) {
	m.first[node] = uint32(len(m.label))
	type group struct {
		lo, hi int
	}
	var groups []group
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j][depth] == keys[i][depth] {
			j++
		}
		groups = append(groups, group{i, j})
		i = j
	}
	m.n[node] = uint16(len(groups))
	base := int32(len(m.term))
	for k, g := range groups {
		m.label = append(m.label, keys[g.lo][depth])
		m.child = append(m.child, base+int32(k))
	}
	for range groups {
		m.term = append(m.term, -1)
		m.first = append(m.first, 0)
		m.n = append(m.n, 0)
	}
	for k, g := range groups {
		c := base + int32(k)
		sub := keys[g.lo:g.hi]
		if len(sub[0]) == depth+1 {
			m.term[c] = int32(m.ids[sub[0]])
			sub = sub[1:]
		}
		if len(sub) > 0 {
			m.fill(c, sub, depth+1)
		}
	}
}

// next returns the child of node by byte b, or -1.
func (m *unigramModel) next(node int32, b byte) int32 {
	lo, hi := m.first[node], m.first[node]+uint32(m.n[node])
	labels := m.label[lo:hi]
	if len(labels) <= 8 {
		for i, l := range labels {
			if l == b {
				return m.child[lo+uint32(i)]
			}
		}
		return -1
	}
	i, ok := slices.BinarySearch(labels, b)
	if !ok {
		return -1
	}
	return m.child[lo+uint32(i)]
}

func (m *unigramModel) size() int { return len(m.scores) }

func (m *unigramModel) tokenID(s string) (uint32, bool) {
	id, ok := m.ids[s]
	return id, ok
}

var errUnigramUnk = errors.New("model Unigram: an unknown character and no unk_id")

// tokenize is HF's Unigram::tokenize over encode_optimized.
func (m *unigramModel) tokenize(c *Counter, w string) error {
	sc := &c.uni
	size := len(w)
	if cap(sc.score) < size+1 {
		sc.score = make([]float64, size+1)
		sc.from = make([]int32, size+1)
		sc.id = make([]int32, size+1)
	}
	score, from, ids := sc.score[:size+1], sc.from[:size+1], sc.id[:size+1]
	for i := range from {
		from[i] = -1
		score[i] = 0
	}
	unkScore := m.minScore - unkPenalty
	for start := 0; start < size; {
		base := score[start]
		_, mblen := utf8.DecodeRuneInString(w[start:])
		single := false
		node := m.root[w[start]]
		for q := start; node >= 0; {
			q++
			if tid := m.term[node]; tid >= 0 {
				cand := m.scores[tid] + base
				if from[q] < 0 || cand > score[q] {
					score[q], from[q], ids[q] = cand, int32(start), tid
				}
				if q-start == mblen {
					single = true
				}
			}
			if q == size {
				break
			}
			node = m.next(node, w[q])
		}
		if !single {
			q := start + mblen
			cand := unkScore + base
			if from[q] < 0 || cand > score[q] {
				if m.unkID < 0 {
					return errUnigramUnk // only when the unknown piece would be taken, as in HF
				}
				score[q], from[q], ids[q] = cand, int32(start), int32(m.unkID)
			}
		}
		start += mblen
	}
	ends := sc.ends[:0]
	for end := size; end > 0; end = int(from[end]) {
		ends = append(ends, int32(end))
	}
	sc.ends = ends
	out := sc.out[:0]
	for k := len(ends) - 1; k >= 0; k-- {
		end := int(ends[k])
		start := int(from[end])
		if m.unkID < 0 || int64(ids[end]) != m.unkID {
			out = append(out, uint32(ids[end]))
			continue
		}
		// Fuse this unknown piece with the unknown pieces right after it.
		for k > 0 && int64(ids[ends[k-1]]) == m.unkID {
			k--
			end = int(ends[k])
		}
		piece := w[start:end]
		if id, ok := m.ids[piece]; ok {
			out = append(out, id)
			continue
		}
		if m.fallback && m.hasBytes(piece) {
			for i := 0; i < len(piece); i++ {
				out = append(out, uint32(m.byteIDs[piece[i]]))
			}
			continue
		}
		out = append(out, uint32(m.unkID))
	}
	sc.out = out
	c.emitCached(w, out)
	return nil
}

// hasBytes reports whether every byte of s has a <0xXX> piece.
func (m *unigramModel) hasBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		if m.byteIDs[s[i]] < 0 {
			return false
		}
	}
	return true
}

// String describes the model (for logs).
func (m *unigramModel) String() string {
	return fmt.Sprintf("Unigram(vocab %d, unk_id %d, byte_fallback %v)", len(m.scores), m.unkID, m.fallback)
}
