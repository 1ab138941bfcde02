package tokcorpus

import (
	"fmt"
	"strings"
)

var urls = []string{
	"https://huggingface.co/deepseek-ai/DeepSeek-V3/resolve/main/tokenizer.json?download=true",
	"http://localhost:8080/v1/chat/completions",
	"https://例え.テスト/パス?q=値#frag",
	"ftp://user:p%40ss@ftp.example.org:21/pub/file.tar.gz",
	"https://en.wikipedia.org/wiki/Unicode_equivalence#Normal_forms",
	"git@github.com:mlperf-tools/aggregator.git",
	"mailto:first.last+tag@sub.example.co.uk",
	"jane_o'brien@example.com", "ÜNICODE@bücher.de", "a@b.c",
	"/usr/local/lib/python3.12/site-packages/tokenizers/__init__.py",
	"C:\\Users\\Admin\\My Documents\\report (final) v2.docx",
	"~/.cache/huggingface/hub/models--meta-llama--Llama-3.1-8B/snapshots/abc123/tokenizer.json",
	"../../etc/passwd", "./scripts/tokenizer-oracle/count.js", "\\\\server\\share\\file.txt",
	"data:text/plain;base64,SGVsbG8sIFdvcmxkIQ==",
	"https://example.com/search?q=%E4%BD%A0%E5%A5%BD&lang=zh-CN&page=2",
}

// genURLs writes URLs, e-mail addresses and file paths, alone and in prose.
func genURLs(s *sink, r *rng) {
	for _, u := range urls {
		s.add("single", u)
		s.add("in-prose", fmt.Sprintf("See %s for details. (%s)", u, strings.ToUpper(u)))
	}
	for i := 0; i < 30; i++ {
		var parts []string
		for j := r.between(2, 6); j > 0; j-- {
			parts = append(parts, pick(r, urls))
		}
		s.add("list", strings.Join(parts, pick(r, []string{"\n", ", ", " ", "\t", "|"})))
	}
}

// genContractions writes English contractions in every case, with straight
// and curly apostrophes, at word edges and after non-letters: the (?i:'s|…)
// alternatives and the gpt-oss suffix form disagree exactly here.
func genContractions(s *sink, r *rng) {
	fixed := []string{
		"'s 'S 'Re I'M don't DON'T y'all", "it's It'S IT'S he'll HE'LL she'd SHE'D we've WE'VE they're THEY'RE I'm i'M",
		"don’t won’t it’s I’M y’all", "rock'n'roll o'clock ma'am 'tis '90s 'twas",
		"'s's's''s'''s", "''''", "'", "'S", "x's", "1's", "字's", "é's É'S", "'llama 'velvet 'dog 'test",
		"can't've y'all'd've", "O'REILLY McDONALD'S", "the dog's bone; the dogs' bones",
		"ǅ'S ǲ's", "Σ's ς'S", "İ's ı'S", "ﬁ's ﬀ'S", "K's \u212A'S",
	}
	for _, f := range fixed {
		s.add("fixed", f)
	}
	suffixes := []string{"s", "t", "re", "ve", "m", "ll", "d", "S", "T", "RE", "Re", "rE", "VE", "vE", "M", "LL", "lL", "Ll", "D", "x", "ss", "st"}
	apos := []string{"'", "'", "’", "‘", "`", "ʼ", "＇"}
	for i := 0; i < 80; i++ {
		var b strings.Builder
		for j := r.between(1, 10); j > 0; j-- {
			w := pick(r, latinWords)
			if r.chance(30) {
				w = strings.ToUpper(w)
			}
			b.WriteString(w)
			b.WriteString(pick(r, apos))
			b.WriteString(pick(r, suffixes))
			b.WriteString(pick(r, []string{" ", "", ".", "\n", "  ", "'", "1", "é"}))
		}
		s.add("random", b.String())
	}
}

// genMarkup writes markdown and LaTeX.
func genMarkup(s *sink, r *rng) {
	md := []string{
		"# Title\n\n## Section 1.2\n\nSome **bold**, *italic*, `code`, ~~strike~~ and [a link](https://x.y/z).\n",
		"- item one\n- item two\n  - nested item\n    1. numbered\n    2. second\n* star\n+ plus\n",
		"| Model | ISL | OSL | TPOT (ms) |\n|:------|----:|----:|:---------:|\n| Llama-3 | 1024 | 128 | 12.5 |\n| DeepSeek-V3 | 2048 | 512 | 35.0 |\n",
		"> quote line\n> > nested quote\n\n---\n\n***\n\n___\n",
		"```python\nprint('hi')\n```\n\n~~~\nraw\n~~~\n",
		"![image](./a.png \"title\")  \nline break\\\nescaped \\*not italic\\*\n",
		"<details><summary>Click</summary>\n\nHidden *markdown*\n\n</details>\n",
		"- [ ] todo\n- [x] done\n\nTerm\n: definition\n\n[^1]: footnote\n",
	}
	tex := []string{
		"$E = mc^2$ and $$\\int_0^\\infty e^{-x^2}\\,dx = \\frac{\\sqrt{\\pi}}{2}$$",
		"\\begin{align}\n  f(x) &= \\sum_{n=0}^{\\infty} \\frac{f^{(n)}(a)}{n!}(x-a)^n \\\\\n  g &= \\alpha\\beta\\gamma\n\\end{align}",
		"\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n\\section*{Intro}\nLet $\\mathbf{x} \\in \\mathbb{R}^{d}$.\n\\end{document}\n",
		"\\[ \\lim_{n\\to\\infty}\\left(1+\\frac{1}{n}\\right)^n = e \\]  ∀ε>0 ∃δ: |x−y|<δ ⇒ |f(x)−f(y)|<ε",
		"\\left\\{ \\begin{matrix} a_{11} & a_{12} \\\\ a_{21} & a_{22} \\end{matrix} \\right\\} \\quad \\textbf{bold}~\\emph{em}",
	}
	for _, m := range md {
		s.add("md", m)
	}
	for _, t := range tex {
		s.add("tex", t)
	}
	for i := 0; i < 30; i++ {
		s.add("md-mix", pick(r, md)+pick(r, tex)+"\n"+pick(r, md))
	}
}
