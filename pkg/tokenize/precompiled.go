package tokenize

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// precompiledNorm is HF's Precompiled normalizer: SentencePiece's
// precompiled_charsmap, a Darts double-array trie over UTF-8 bytes whose
// leaves point into a blob of NUL-terminated replacements.
//
// HF (spm_precompiled, tokenizers' precompiled.rs) walks the text by
// extended grapheme clusters: a cluster shorter than 6 bytes whose bytes
// start with a key is replaced whole by the replacement of the *shortest*
// such key (the rest of the cluster is dropped); otherwise each character
// is replaced by the replacement of its shortest key prefix, or kept.
type precompiledNorm struct {
	units []uint32 // the double array
	blob  string   // replacements, NUL-terminated
	root  uint32   // node position after the root's offset
	first [256]bool
}

// Darts unit fields (darts-clone's DoubleArrayUnit).
func unitHasLeaf(u uint32) bool  { return u>>8&1 == 1 }
func unitValue(u uint32) uint32  { return u & (1<<31 - 1) }
func unitLabel(u uint32) uint32  { return u & (1<<31 | 0xFF) }
func unitOffset(u uint32) uint32 { return (u >> 10) << ((u & (1 << 9)) >> 6) }

// parsePrecompiled decodes a base64 precompiled_charsmap: a little-endian
// u32 byte length of the trie, the trie's u32 units, then the replacement
// blob (UTF-8). Every path the trie can take on any input is checked here,
// so that lookups never leave the array or point outside the blob (where
// the library would panic mid-encode).
func parsePrecompiled(b64 string) (*precompiledNorm, error) {
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("precompiled_charsmap: %w", err)
	}
	if len(data) < 4 {
		return nil, errors.New("precompiled_charsmap: shorter than its 4-byte header")
	}
	size := binary.LittleEndian.Uint32(data)
	n := int(size / 4)
	if n > (len(data)-4)/4 {
		return nil, fmt.Errorf("precompiled_charsmap: trie of %d bytes but only %d follow", size, len(data)-4)
	}
	if n == 0 {
		return nil, errors.New("precompiled_charsmap: empty trie")
	}
	p := &precompiledNorm{units: make([]uint32, n)}
	for i := range p.units {
		p.units[i] = binary.LittleEndian.Uint32(data[4+4*i:])
	}
	blob := data[4+4*n:]
	if !utf8.Valid(blob) {
		return nil, errors.New("precompiled_charsmap: replacements are not valid UTF-8")
	}
	p.blob = string(blob)
	p.root = unitOffset(p.units[0])
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("precompiled_charsmap: %w", err)
	}
	for c := 1; c < 256; c++ {
		q := p.root ^ uint32(c)
		p.first[c] = unitLabel(p.units[q]) == uint32(c)
	}
	return p, nil
}

// check walks every node reachable from the root and verifies that each
// array access and each leaf's replacement are in range.
func (p *precompiledNorm) check() error {
	n := uint32(len(p.units))
	if p.root >= n || p.root|0xFF >= n {
		return errors.New("root out of range")
	}
	seen := map[uint32]bool{}
	stack := []uint32{p.root}
	for len(stack) > 0 {
		pos := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[pos] {
			continue
		}
		seen[pos] = true
		if pos|0xFF >= n {
			return fmt.Errorf("node %d's children out of range", pos)
		}
		for c := uint32(1); c < 256; c++ {
			u := p.units[pos^c]
			if unitLabel(u) != c {
				continue
			}
			next := pos ^ c ^ unitOffset(u)
			if next >= n {
				return fmt.Errorf("node %d out of range", next)
			}
			if unitHasLeaf(u) {
				v := unitValue(p.units[next])
				if int(v) > len(p.blob) || (int(v) < len(p.blob) && !utf8.RuneStart(p.blob[v])) {
					return fmt.Errorf("replacement offset %d outside the %d-byte blob or inside a character", v, len(p.blob))
				}
			}
			stack = append(stack, next)
		}
	}
	return nil
}

// transform returns the replacement of the shortest key that is a prefix
// of s (spm_precompiled's transform: common_prefix_search()[0]), stopping
// at a NUL byte.
func (p *precompiledNorm) transform(s string) (string, bool) {
	pos := p.root
	for i := 0; i < len(s); i++ {
		c := uint32(s[i])
		if c == 0 {
			break
		}
		pos ^= c
		u := p.units[pos]
		if unitLabel(u) != c {
			return "", false
		}
		pos ^= unitOffset(u)
		if unitHasLeaf(u) {
			v := unitValue(p.units[pos])
			end := v
			for int(end) < len(p.blob) && p.blob[end] != 0 {
				end++
			}
			return p.blob[v:end], true
		}
	}
	return "", false
}

func (p *precompiledNorm) apply(dst []byte, s string, _ *scratch) ([]byte, error) {
	var g graphemes
	for i := 0; i < len(s); {
		// A cluster that starts with a byte no key starts with is handled
		// character by character, like any character of a long cluster.
		end := g.next(s, i)
		if end-i < 6 && p.first[s[i]] {
			if r, ok := p.transform(s[i:end]); ok {
				dst = append(dst, r...)
				i = end
				continue
			}
		}
		for i < end {
			_, size := utf8.DecodeRuneInString(s[i:])
			if p.first[s[i]] {
				if r, ok := p.transform(s[i : i+size]); ok {
					dst = append(dst, r...)
					i += size
					continue
				}
			}
			dst = append(dst, s[i:i+size]...)
			i += size
		}
	}
	return dst, nil
}

// keepsStart: Precompiled rewrites through NormalizedString::transform
// without recording leading deletions, so the start stays aligned with
// the original start.
func (*precompiledNorm) keepsStart() bool { return true }
