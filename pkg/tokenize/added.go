package tokenize

import (
	"sort"
	"unicode/utf8"
)

// addedToken is one entry of tokenizer.json "added_tokens" (HF AddedToken)
// with the id HF assigns to it.
type addedToken struct {
	content    string
	id         uint32
	singleWord bool
	lstrip     bool
	rstrip     bool
	normalized bool
	special    bool
}

// addedVocab is HF's AddedVocabulary as used by encode: the tokens that
// are split out of the raw text (normalized=false) and, after
// normalization, out of the normalized pieces (normalized=true).
type addedVocab struct {
	byID    map[uint32]*addedToken
	rawTrie *trie // non-normalized contents
	nrmTrie *trie // normalized contents
}

// addedSplit is a piece of a sentence: an added token (id >= 0) or text.
type addedSplit struct {
	id         int64
	start, end int
}

// trie finds the leftmost-longest pattern (daachorse MatchKind::LeftmostLongest).
type trie struct {
	first [256]bool
	nodes []trieNode
	edges []trieEdge
}

type trieNode struct {
	term   int64 // token id, -1 if no pattern ends here
	lo, hi int32 // edges[lo:hi], sorted by byte
}

type trieEdge struct {
	b  byte
	to int32
}

// buildTrie builds a trie of patterns; duplicates are an error (as in HF,
// whose automaton builder rejects them).
func buildTrie(patterns []string, ids []uint32) (*trie, bool) {
	if len(patterns) == 0 {
		return nil, true
	}
	type bnode struct {
		term     int64
		children map[byte]int
	}
	bn := []bnode{{term: -1, children: map[byte]int{}}}
	for k, p := range patterns {
		cur := 0
		for i := 0; i < len(p); i++ {
			nx, ok := bn[cur].children[p[i]]
			if !ok {
				nx = len(bn)
				bn = append(bn, bnode{term: -1, children: map[byte]int{}})
				bn[cur].children[p[i]] = nx
			}
			cur = nx
		}
		if bn[cur].term >= 0 {
			return nil, false
		}
		bn[cur].term = int64(ids[k])
	}
	t := &trie{nodes: make([]trieNode, len(bn))}
	for i, n := range bn {
		keys := make([]int, 0, len(n.children))
		for b := range n.children {
			keys = append(keys, int(b))
		}
		sort.Ints(keys)
		t.nodes[i] = trieNode{term: n.term, lo: int32(len(t.edges))}
		for _, b := range keys {
			t.edges = append(t.edges, trieEdge{byte(b), int32(n.children[byte(b)])})
		}
		t.nodes[i].hi = int32(len(t.edges))
	}
	for b := range bn[0].children {
		t.first[b] = true
	}
	return t, true
}

// longestAt returns the length and id of the longest pattern starting at
// s[i:], or 0.
func (t *trie) longestAt(s string, i int) (int, int64) {
	best, bestID := 0, int64(-1)
	cur := int32(0)
	for j := i; j < len(s); j++ {
		n := &t.nodes[cur]
		c := s[j]
		next := int32(-1)
		for e := n.lo; e < n.hi; e++ {
			if t.edges[e].b == c {
				next = t.edges[e].to
				break
			}
			if t.edges[e].b > c {
				break
			}
		}
		if next < 0 {
			break
		}
		cur = next
		if t.nodes[cur].term >= 0 {
			best, bestID = j+1-i, t.nodes[cur].term
		}
	}
	return best, bestID
}

// split appends the pieces of s (HF AddedVocabulary::find_matches): added
// tokens found by t with the single_word, lstrip and rstrip rules, and the
// text between them. Empty text pieces may be appended; callers skip them.
func (a *addedVocab) split(dst []addedSplit, s string, t *trie) []addedSplit {
	if t == nil || s == "" {
		return append(dst, addedSplit{-1, 0, len(s)})
	}
	startOffset := 0
	for i := 0; i < len(s); {
		if !t.first[s[i]] {
			i++
			continue
		}
		l, id := t.longestAt(s, i)
		if l == 0 {
			i++
			continue
		}
		start, stop := i, i+l
		i = stop // the automaton resumes after the match, kept or not
		tok := a.byID[uint32(id)]
		if tok.singleWord {
			startSpace := start == 0 || !endsWithWord(s[:start])
			stopSpace := stop == len(s) || !startsWithWord(s[stop:])
			if !startSpace || !stopSpace {
				continue
			}
		}
		if tok.lstrip {
			start = max(spaceLeftmostAtEnd(s[:start]), startOffset)
		}
		if tok.rstrip {
			stop += spaceRightmostAtStart(s[stop:])
		}
		if startOffset < start {
			dst = append(dst, addedSplit{-1, startOffset, start})
		}
		dst = append(dst, addedSplit{id, start, stop})
		startOffset = stop
	}
	if startOffset != len(s) {
		dst = append(dst, addedSplit{-1, startOffset, len(s)})
	}
	return dst
}

func endsWithWord(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return s != "" && isWordChar(r)
}

func startsWithWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return s != "" && isWordChar(r)
}

// spaceLeftmostAtEnd is the start of the trailing whitespace of s.
func spaceLeftmostAtEnd(s string) int {
	i := len(s)
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if !isWhiteSpace(r) {
			break
		}
		i -= size
	}
	return i
}

// spaceRightmostAtStart is the length of the leading whitespace of s.
func spaceRightmostAtStart(s string) int {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isWhiteSpace(r) {
			break
		}
		i += size
	}
	return i
}
