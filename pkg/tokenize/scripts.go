package tokenize

import (
	"slices"
	"sync"
	"unicode"
)

// Scripts for HF's UnicodeScripts pre-tokenizer. The library uses
// SentencePiece's table (Unicode 9: later characters have no script,
// "Any"); ours is Go's Scripts with the runes where the library differs
// listed in scriptOverrides (propoverrides.go, generated from the library).
// As in the library, Hiragana and Katakana (and U+30FC) count as Han and
// ' ' as Any.

// scriptID identifies a script; 0 is Any (no script: never cuts).
type scriptID uint8

type scriptRange struct {
	lo, hi rune
	id     scriptID
}

type scriptOverride struct {
	lo, hi rune
	script string // a key of unicode.Scripts, or "" for Any
}

var (
	scriptsOnce  sync.Once
	scriptTable  []scriptRange // sorted, disjoint
	scriptIDs    map[string]scriptID
	scriptOvrIDs []scriptRange // scriptOverrides resolved
)

func initScripts() {
	names := make([]string, 0, len(unicode.Scripts))
	for n := range unicode.Scripts {
		names = append(names, n)
	}
	slices.Sort(names)
	scriptIDs = map[string]scriptID{}
	for i, n := range names {
		scriptIDs[n] = scriptID(i + 1)
	}
	han := scriptIDs["Han"]
	for _, n := range names {
		id := scriptIDs[n]
		if n == "Hiragana" || n == "Katakana" {
			id = han
		}
		t := unicode.Scripts[n]
		for _, r := range t.R16 {
			for lo := rune(r.Lo); lo <= rune(r.Hi); lo += rune(r.Stride) {
				hi := lo
				if r.Stride == 1 {
					hi = rune(r.Hi)
				}
				scriptTable = append(scriptTable, scriptRange{lo, hi, id})
				if r.Stride == 1 {
					break
				}
			}
		}
		for _, r := range t.R32 {
			for lo := rune(r.Lo); lo <= rune(r.Hi); lo += rune(r.Stride) {
				hi := lo
				if r.Stride == 1 {
					hi = rune(r.Hi)
				}
				scriptTable = append(scriptTable, scriptRange{lo, hi, id})
				if r.Stride == 1 {
					break
				}
			}
		}
	}
	slices.SortFunc(scriptTable, func(a, b scriptRange) int { return int(a.lo - b.lo) })
	for _, o := range scriptOverrides {
		id := scriptID(0)
		if o.script != "" {
			id = scriptIDs[o.script]
			if o.script == "Hiragana" || o.script == "Katakana" {
				id = han
			}
		}
		scriptOvrIDs = append(scriptOvrIDs, scriptRange{o.lo, o.hi, id})
	}
}

func findScript(r rune, t []scriptRange) (scriptID, bool) {
	lo, hi := 0, len(t)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case r < t[m].lo:
			hi = m
		case r > t[m].hi:
			lo = m + 1
		default:
			return t[m].id, true
		}
	}
	return 0, false
}

// scriptOf is the library's fixed_script(r).
func scriptOf(r rune) scriptID {
	scriptsOnce.Do(initScripts)
	switch {
	case r == ' ':
		return 0
	case r == 0x30FC:
		return scriptIDs["Han"]
	}
	if id, ok := findScript(r, scriptOvrIDs); ok {
		return id
	}
	id, _ := findScript(r, scriptTable)
	return id
}

// scriptPieces fills sc.out with UnicodeScripts' pieces: a cut before
// every character whose script is not Any and differs from the last
// script seen; text before the first cut is dropped, as in the library.
func scriptPieces(s string, sc *stageScratch) {
	out := sc.out[:0]
	last := scriptID(0)
	seen := false
	for i, r := range s {
		id := scriptOf(r)
		if id == 0 {
			continue
		}
		if !seen || id != last {
			if len(out) > 0 {
				out = append(out, i)
			}
			out = append(out, i)
		}
		last, seen = id, true
	}
	if len(out) > 0 {
		out = append(out, len(s))
	}
	sc.out = out
}
