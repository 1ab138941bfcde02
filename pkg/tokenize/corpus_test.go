package tokenize

import (
	"math/rand/v2"
	"slices"
	"strings"
)

// parityCorpus returns varied texts: prose, code, JSON, scripts, emoji,
// combining runs, whitespace of every kind, digits, contractions in all
// cases, the tokenizer's own added tokens inside text, random strings on
// the regex class boundaries, invalid UTF-8.
func parityCorpus(tok *Tokenizer, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 7))
	fixed := []string{
		"", " ", "  ", "\n", "\r\n", "\t", "a", "I", "Hello world",
		"The quick brown fox jumps over the lazy dog. It's 9:45 a.m. and we've got 1,234,567 reasons.",
		"I'M HERE. YOU'RE THERE. WE'VE, THEY'LL, HE'D, SHE'S, IT'S, DON'T, 'S 'T 'RE 'VE 'M 'LL 'D",
		"i'm it's we're you've they'll he'd can't won't o'clock rock'n'roll 's't're",
		"Ｉ'ｍ  I\u2019m I`m ''quoted'' '' ' 'a' 'sa 'll",
		"func main() {\n\tfmt.Println(\"hi\")\n\tfor i := 0; i < 10; i++ {\n\t\tx[i] += i * 2 // comment\n\t}\n}\n",
		"def f(x):\n    return x ** 2  # square\n\n\nclass A:\n    pass\r\n",
		`{"key": "value", "n": [1, 2.5, -3e10], "nested": {"a": null, "b": true}, "s": "\u00e9\n"}`,
		"<html><body><div class=\"x\">Text &amp; more</div></body></html>",
		"https://example.com/path/to/page?query=1&b=2#frag mailto:a@b.co",
		"日本語のテキストです。東京は大きい都市です。カタカナとひらがな。",
		"中文文本，包括标点符号！还有数字123和English混合。",
		"한국어 텍스트입니다. 안녕하세요!",
		"مرحبا بالعالم، هذا نص عربي مع أرقام ١٢٣٤٥ و 678.",
		"नमस्ते दुनिया, यह हिंदी पाठ है। संख्या १२३",
		"Привет, мир! Это русский текст. ЁЖИК ёжик",
		"Ελληνικά κείμενα με τόνους: άέήίόύώ ΐΰ",
		"ไทย ภาษาไทย สวัสดีครับ",
		"👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 thumbs, 🇺🇸🇯🇵 flags, ❤️‍🔥 ✨🚀",
		"e\u0301 a\u0300\u0301\u0302 o\u0308\u0304 n\u0303 \u1e69 s\u0323\u0307 s\u0307\u0323 \uac00 \u1100\u1161\u11a8",
		"a" + strings.Repeat("\u0301", 40) + " b" + strings.Repeat("\u0323\u0301", 25) + "c",
		"x" + strings.Repeat("\u0308\u0323\u0301\u0327", 12) + "y",
		strings.Repeat("\u0301", 35),
		"Å Å Å ﬁ ﬀ ① ² ㎏ ｶ ｱ ＡＢＣ ℌ ǆ",
		"tabs\there\tand\u00a0nbsp\u00a0and\u3000ideographic\u3000space\u2028line\u2029para\u0085nel\u000bvt\u000cff",
		"   \n\n\n   \t\t  \r\n\r\n  x  \n ",
		"a  b   c    d     e      f\n\n\n\n\n\nend",
		" \u00a0 \u00a0\u00a0x\u2003\u2003y\u200bz\ufeffw",
		"0 1 12 123 1234 12345 123456 1234567 3.14159265358979 1e-10 0x1F -42 +7 1,000,000 ٣٤٥ ५६७ ⅧⅫ ½ ²³",
		"1234567890123456789012345678901234567890",
		"!!!??? ... --- *** ### @@@ $$$ %%% ^^^ &&& ((( ))) [[[ ]]] {{{ }}} ||| \\\\ /// ~~~ ``` \"\"\" '''",
		"a.b,c;d:e!f?g-h_i+j=k(l)m[n]o{p}q<r>s/t\\u|v`w~x@y#z$%^&*",
		"CamelCaseWords andSnake_case and-kebab-case and SHOUTING and MiXeD",
		"\u0130stanbul \u0131 ß ẞ ﬃ Σσς",
		"\ufffd replacement \ufffd\ufffd",
		"\x00\x01\x1f\x7f control chars",
		"\xff\xfe invalid \xc3\x28 utf8 \xe2\x82 \xf0\x9f\x98 tail \xed\xa0\x80 surrogate \xf4\x90\x80\x80",
	}
	texts := append([]string(nil), fixed...)

	// Added tokens inside text, with and without surrounding spaces.
	var added []string
	for _, tk := range tok.added.byID {
		added = append(added, tk.content)
	}
	if len(added) > 0 {
		slices.Sort(added)
		for i := 0; i < 60; i++ {
			a := added[r.IntN(len(added))]
			b := added[r.IntN(len(added))]
			switch i % 6 {
			case 0:
				texts = append(texts, a)
			case 1:
				texts = append(texts, "Hello "+a+" world")
			case 2:
				texts = append(texts, "x"+a+"y"+b+"z")
			case 3:
				texts = append(texts, "  "+a+"  \n"+b+"\t ")
			case 4:
				texts = append(texts, a+a+b+" "+a[:len(a)/2])
			case 5:
				texts = append(texts, "The answer"+a+"is 42.\n\n"+b)
			}
		}
	}

	// Random strings over class-boundary alphabets.
	pieces := []string{
		"a", "Z", "é", "É", "ß", "ı", "İ", "ǅ", "ʰ", "中", "の", "カ", "가", "ا", "ह", "ि", "্", "ก", "\u0301", "\u0308", "\u0323",
		"0", "7", "٣", "५", "Ⅻ", "½", "²", " ", "  ", "\t", "\n", "\r", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085", "\u000b",
		"'", "'s", "'S", "'ll", "'LL", "'Re", "'vE", "’", ".", ",", "!", "?", "-", "_", "/", "\\", "\"", "(", ")", "[", "{", "<", ">",
		"@", "#", "$", "%", "^", "&", "*", "+", "=", "|", "~", "`", ":", ";", "😀", "👍🏽", "\u200d", "\ufe0f", "\u200b", "▁", "Ġ", "Ċ",
		"the", "The", "THE", "ing", " the", "http", "://", "123", "4567", "\x80", "\xe2\x82",
	}
	for i := 0; i < 200; i++ {
		var b strings.Builder
		n := 1 + r.IntN(30)
		for k := 0; k < n; k++ {
			b.WriteString(pieces[r.IntN(len(pieces))])
			if len(added) > 0 && r.IntN(40) == 0 {
				b.WriteString(added[r.IntN(len(added))])
			}
		}
		texts = append(texts, b.String())
	}
	// Long mixed text (LLM-answer-like).
	var long strings.Builder
	for long.Len() < 20000 {
		long.WriteString(fixed[3+r.IntN(len(fixed)-3)])
		long.WriteString(pieces[r.IntN(len(pieces))])
	}
	texts = append(texts, long.String())
	texts = append(texts, strings.Repeat(" ", 3000), strings.Repeat("a", 5000), strings.Repeat("\n", 700)+"x",
		strings.Repeat("ab ", 2000), strings.Repeat("1", 1001), strings.Repeat("日本", 800), strings.Repeat("▁", 600))
	return texts
}
