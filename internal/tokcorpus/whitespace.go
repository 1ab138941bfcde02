package tokcorpus

import "strings"

// spaces are the whitespace and near-whitespace characters the pre-tokenizer
// classes disagree about: \s in Oniguruma is Unicode White_Space; U+200B,
// U+180E and U+FEFF are not whitespace; U+0085 and U+2028/9 are.
var spaces = []string{
	" ", " ", " ", "\t", "\n", "\r", "\r\n", "\n\n\n", "\v", "\f", "\u0085", "\u00a0",
	"\u1680", "\u180e", "\u2000", "\u2002", "\u2007", "\u2009", "\u200a", "\u200b", "\u2028",
	"\u2029", "\u202f", "\u205f", "\u3000", "\ufeff", "\u200c", "\u200d", "\u2060", "\x1c", "\x1f",
}

// genWhitespace writes whitespace runs of every kind, alone and between,
// before and after words, punctuation, digits and CJK.
func genWhitespace(s *sink, r *rng) {
	for _, sp := range spaces {
		for _, n := range []int{1, 2, 3, 17} {
			s.add("run", strings.Repeat(sp, n))
		}
		s.add("between", "a"+sp+"b"+sp+sp+"c "+sp+"1"+sp+"!"+sp+"字"+sp)
	}
	ctx := []string{"word", "Word", "'s", "42", "!!", "字", "😀", "é", "", "\n", "<|im_start|>", "▁"}
	for i := 0; i < 120; i++ {
		var b strings.Builder
		for j := r.between(1, 8); j > 0; j-- {
			if r.chance(60) {
				b.WriteString(pick(r, ctx))
			}
			for k := r.between(1, 6); k > 0; k-- {
				b.WriteString(pick(r, spaces))
			}
		}
		s.add("mixed", b.String())
	}
	for _, n := range []int{1, 2, 3, 4, 8, 16, 33, 100, 1000} {
		s.add("spaces-then-word", strings.Repeat(" ", n)+"word")
		s.add("word-then-spaces", "word"+strings.Repeat(" ", n))
		s.add("newlines", strings.Repeat("\n", n)+"x"+strings.Repeat("\r\n", n))
		s.add("tabs-indent", strings.Repeat("\t", n%40)+"return x\n"+strings.Repeat(" ", n%64)+"}")
		s.add("space-newline", strings.Repeat(" \n", n))
	}
	s.add("empty", "")
	s.add("single-space", " ")
	s.add("trailing-newline", "The end.\n")
}
