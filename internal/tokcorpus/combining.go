package tokcorpus

import (
	"strings"
)

var (
	marks     = []rune{0x0300, 0x0301, 0x0302, 0x0303, 0x0308, 0x030A, 0x0316, 0x0323, 0x0327, 0x0328, 0x0334, 0x0345, 0x034F, 0x0360, 0x0361, 0x05B8, 0x064B, 0x0651, 0x093C, 0x094D, 0x0E31, 0x0E48, 0x1DC0, 0x20D0, 0x20E3, 0x3099, 0x309A, 0xFE20, 0x1D165, 0x1D16D}
	markBases = []string{"a", "e", "o", "A", "Z", "i", "ı", "ß", "1", " ", "\t", "\n", "'", ".", "-", "字", "あ", "한", "ب", "क", "ก", "😀", "\u00a0", ""}
	// nfcCases are sequences that NFC changes: decomposed letters, singleton
	// decompositions, canonical reordering, composition exclusions, Hangul
	// jamo, and precomposed forms that must stay as they are.
	nfcCases = []string{
		"e\u0301", "E\u0301", "cafe\u0301", "A\u030A", "\u212B", "\u2126", "\u212A", "o\u0308\u0304",
		"a\u0316\u0301", "a\u0301\u0316", "q\u0307\u0323", "s\u0323\u0307", "\u1E69", "\u1E0B\u0323",
		"\u0958", "\u0915\u093C", "\u09DC", "\u0B5C", "\uFB1D", "\u05D9\u05B4", "\u0F73", "\u0344", "\u0340",
		"\u1100\u1161", "\u1100\u1161\u11A8", "\uAC00\u11A8", "\u1112\u1161\u11AB\u1100\u1173\u11AF", "\u1100\u1100\u1161", "\u115F\u1160",
		"\u3131\u314F", "\u304B\u3099", "\u30CF\u309A", "\uF900", "\uFA10", "\U0002F800", "\u0041\u030A\u0301",
		"\u00C5", "\u00E9", "\u1EA0\u0302", "\u0EB3", "\u0E33", "\u1026", "\u1025\u102E", "\u0B47\u0B3E", "\u0DD9\u0DCF\u0DCA",
		"\u0387", "\u037E", "\u1FEE", "\u2000", "\u2001", "\u232A", "\u2ADC", "\U0001D15E",
	}
)

// genCombining writes combining-mark runs (including more than 30 marks on
// one base, where Unicode's stream-safe format would insert U+034F but NFC
// must not), NFC-sensitive sequences and mark-only texts.
func genCombining(s *sink, r *rng) {
	for _, c := range nfcCases {
		s.add("nfc", c)
		s.add("nfc-word", "x"+c+"y "+c+c+" "+strings.ToUpper(c)+"'s")
	}
	for _, n := range []int{1, 2, 5, 29, 30, 31, 32, 40, 64, 100, 300} {
		base := pick(r, markBases)
		var b strings.Builder
		b.WriteString(base)
		for i := 0; i < n; i++ {
			b.WriteRune(pick(r, marks))
		}
		s.add("run", b.String())
		// Non-zero-class marks in reverse canonical order: NFC must sort them.
		b.Reset()
		b.WriteString("e")
		for i := 0; i < n; i++ {
			b.WriteRune([]rune{0x0301, 0x0316}[i%2])
		}
		b.WriteString(" end")
		s.add("reorder", b.String())
	}
	for i := 0; i < 40; i++ {
		var b strings.Builder
		for j := r.between(1, 12); j > 0; j-- {
			b.WriteString(pick(r, markBases))
			for k := r.between(0, 6); k > 0; k-- {
				b.WriteRune(pick(r, marks))
			}
			if r.chance(20) {
				b.WriteString(pick(r, nfcCases))
			}
		}
		s.add("mix", b.String())
	}
	s.add("marks-only", string(marks))
	s.add("zalgo", "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u036b\u0357\u0334\u0362\u0335\u031c\u0330\u0354L\u0368\u0367\u0369\u0358\u0320G\u0311\u0357\u030e\u0305\u035b\u0341\u0334\u033b\u0348\u034d\u0354\u0339O\u0342\u030c\u030c\u0358\u0328\u0335\u0339\u033b\u031d\u0333!\u033f\u030b\u0365\u0365\u0302\u0363\u0310\u0301\u0301\u035e\u035c\u0356\u032c\u0330\u0319\u0317")
}
