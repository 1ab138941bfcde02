package tokcorpus

import (
	"strings"
	"unicode"
)

// genProse writes sentences and paragraphs in every language, re-cased and
// re-punctuated, and mixed-language paragraphs.
func genProse(s *sink, r *rng) {
	for _, lang := range languageOrder {
		bank := prose[lang]
		for _, sent := range bank {
			s.add(lang+"-sentence", sent)
		}
		s.add(lang+"-paragraph", paragraph(r, bank, 6))
		s.add(lang+"-upper", strings.ToUpper(paragraph(r, bank, 3)))
		s.add(lang+"-title", titleCase(paragraph(r, bank, 2)))
		s.add(lang+"-nopunct", stripPunct(paragraph(r, bank, 3)))
		s.add(lang+"-lines", strings.Join(shuffled(r, bank), pick(r, []string{"\n", "\r\n", "\n\n", " \n", "\t"})))
	}
	for i := 0; i < 40; i++ {
		var parts []string
		for j := r.between(2, 8); j > 0; j-- {
			parts = append(parts, pick(r, prose[pick(r, languageOrder)]))
		}
		s.add("mixed", strings.Join(parts, pick(r, []string{" ", "", "\n", "  ", " — "})))
	}
	for i := 0; i < 30; i++ {
		s.add("words", randomWords(r, r.between(1, 60)))
	}
}

// paragraph joins n random sentences of bank.
func paragraph(r *rng, bank []string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(pick(r, bank))
	}
	return b.String()
}

func shuffled(r *rng, xs []string) []string {
	out := append([]string(nil), xs...)
	for i := len(out) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func titleCase(s string) string {
	prev := ' '
	return strings.Map(func(c rune) rune {
		defer func() { prev = c }()
		if unicode.IsSpace(prev) {
			return unicode.ToTitle(c)
		}
		return c
	}, s)
}

func stripPunct(s string) string {
	return strings.Map(func(c rune) rune {
		if unicode.IsPunct(c) {
			return -1
		}
		return c
	}, s)
}

// randomWords joins n words with varied separators and casing.
func randomWords(r *rng, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(pick(r, []string{" ", " ", " ", ", ", ". ", "  ", "\n", "-", "_", "/", "'"}))
		}
		w := pick(r, latinWords)
		switch r.intn(5) {
		case 0:
			w = strings.ToUpper(w)
		case 1:
			w = titleCase(w)
		}
		b.WriteString(w)
	}
	return b.String()
}

// genCJK writes Chinese, Japanese and Korean texts, and characters on the
// edges of DeepSeek-V3's CJK split class [一-龥぀-ゟ゠-ヿ].
func genCJK(s *sink, r *rng) {
	for _, lang := range []string{"zh", "ja", "ko"} {
		for i := 0; i < 8; i++ {
			s.add(lang+"-mixed", withLatin(r, paragraph(r, prose[lang], r.between(1, 4))))
		}
	}
	edges := []rune{
		0x4E00, 0x4DFF, 0x9FA5, 0x9FA6, 0x9FFF, 0x3040, 0x3041, 0x309F, 0x30A0, 0x30FF, 0x3100,
		0x303F, 0x3005, 0x3006, 0x3007, 0x3400, 0x4DBF, 0xF900, 0xFA6D, 0x20000, 0x2A6DF, 0x2F800,
		0xFF61, 0xFF65, 0xFF66, 0xFF9D, 0xFF9E, 0xFF9F, 0x3001, 0x3002, 0x300C, 0x300D, 0xFF01,
		0xFF0C, 0xFF1F, 0x30FB, 0x30FC, 0x309B, 0x309C, 0x1100, 0x3131, 0xAC00, 0xD7A3, 0xD7A4,
	}
	for i := 0; i < 40; i++ {
		var b strings.Builder
		for j := r.between(1, 30); j > 0; j-- {
			switch r.intn(6) {
			case 0:
				b.WriteRune(pick(r, edges))
			case 1:
				b.WriteRune(rune(r.between(0x4E00, 0x9FFF)))
			case 2:
				b.WriteRune(rune(r.between(0x3041, 0x30FF)))
			case 3:
				b.WriteRune(rune(r.between(0xAC00, 0xD7A3)))
			case 4:
				b.WriteString(pick(r, []string{" ", "1", "23", "456", "a", "AB", "。", "、", "\n", "\u3000", "!", "'s"}))
			default:
				b.WriteRune(rune(r.between(0x20000, 0x2A6DF)))
			}
		}
		s.add("edges", b.String())
	}
}

// withLatin sprinkles ASCII words and digits into a CJK text.
func withLatin(r *rng, text string) string {
	rs := []rune(text)
	var b strings.Builder
	for i, c := range rs {
		if i > 0 && r.chance(8) {
			b.WriteString(pick(r, []string{"GPU", " LLM ", "2024年", "3.14", "iPhone15", "（注）", "v2", " ok "}))
		}
		b.WriteRune(c)
	}
	return b.String()
}

// genRTLIndicThai writes Arabic, Persian, Hebrew, Indic, Thai, Ethiopic and
// Caucasian texts, mixed with digits, Latin and bidi controls.
func genRTLIndicThai(s *sink, r *rng) {
	langs := []string{"ar", "fa", "he", "hi", "bn", "ta", "th", "am", "ka", "hy"}
	bidi := []string{"\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u061c"}
	for _, lang := range langs {
		for i := 0; i < 8; i++ {
			p := paragraph(r, prose[lang], r.between(1, 4))
			switch i % 4 {
			case 1:
				p = withLatin(r, p)
			case 2:
				p = pick(r, bidi) + p + pick(r, bidi) + " 42 " + pick(r, bidi) + "abc"
			case 3:
				p = strings.ReplaceAll(p, " ", pick(r, []string{"", "  ", "\u00a0", "\t", "\u200c", "\u200d"}))
			}
			s.add(lang, p)
		}
	}
}
