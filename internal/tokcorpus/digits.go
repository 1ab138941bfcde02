package tokcorpus

import (
	"fmt"
	"strings"
)

// digitSets are decimal digit systems (Nd) plus fullwidth digits; Nl and No
// numbers (Ⅻ, ½, ², ①) are \p{N} too and split like digits.
var digitSets = [][]rune{
	[]rune("0123456789"), []rune("٠١٢٣٤٥٦٧٨٩"), []rune("۰۱۲۳۴۵۶۷۸۹"), []rune("०१२३४५६७८९"),
	[]rune("০১২৩৪৫৬৭৮৯"), []rune("๐๑๒๓๔๕๖๗๘๙"), []rune("０１２３４５６７８９"), []rune("𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗"),
	[]rune("ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅫ"), []rune("½¼¾²³¹⅓⅞⁰₉"), []rune("①②③④⑤⑥⑦⑧⑨⑩"), []rune("〇一二三四五六七八九"),
}

// genDigits writes digit runs of 1..40 digits in every digit system, with
// separators, signs, decimals, dates, versions and mixed systems.
func genDigits(s *sink, r *rng) {
	for n := 1; n <= 40; n++ {
		s.add("ascii-run", digitRun(r, digitSets[0], n))
	}
	for i, set := range digitSets[1:] {
		for _, n := range []int{1, 2, 3, 4, 7, 13, 40} {
			s.add(fmt.Sprintf("set%d-run", i+1), digitRun(r, set, n))
		}
	}
	seps := []string{",", ".", " ", "_", "'", "\u00a0", "\u202f", "٬", "٫", ":", "/", "-", "e", "x"}
	for i := 0; i < 60; i++ {
		var b strings.Builder
		if r.chance(30) {
			b.WriteString(pick(r, []string{"-", "+", "$", "€", "¥", "~", "#", "(", "v", "No."}))
		}
		set := digitSets[0]
		if r.chance(30) {
			set = pick(r, digitSets)
		}
		for j := r.between(1, 6); j > 0; j-- {
			if j > 0 && b.Len() > 0 {
				b.WriteString(pick(r, seps))
			}
			b.WriteString(digitRun(r, set, r.between(1, 7)))
		}
		b.WriteString(pick(r, []string{"", "%", "k", "ms", " tok/s", "th", "st", "e10", "\n"}))
		s.add("number", b.String())
	}
	s.add("dates", "2024-03-01T12:34:56.789Z 01/02/1999 3.14159 1e-9 0x7FFF 0b1011 1,234,567.89 1.234.567,89 ١٢٬٣٤٥٫٦٧")
	s.add("versions", "v1.2.3-rc.4+build.567 Python 3.12.1, Go 1.26, CUDA 12.4, 192.168.0.1:8080")
	s.add("mixed-systems", "1٢3४5๖7８9𝟎 ½² ①⑩ Ⅻ 〇")
	s.add("digits-letters", "abc123def4567ghi89012jkl 3rd 21st 100x 4K 1080p H100 A100s")
}

func digitRun(r *rng, set []rune, n int) string {
	b := make([]rune, n)
	for i := range b {
		b[i] = pick(r, set)
	}
	return string(b)
}
