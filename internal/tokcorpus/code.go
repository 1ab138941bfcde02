package tokcorpus

import (
	"encoding/json"
	"fmt"
	"strings"
)

var codeSnippets = []struct{ lang, src string }{
	{"go", "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\n// main prints its arguments.\nfunc main() {\n\tfor i, a := range os.Args[1:] {\n\t\tif i%2 == 0 {\n\t\t\tfmt.Printf(\"%d: %q\\n\", i, a)\n\t\t}\n\t}\n}\n"},
	{"go", "type Counter struct {\n\tmu    sync.Mutex\n\tn     map[string]int // guarded by mu\n}\n\nfunc (c *Counter) Inc(k string) {\n\tc.mu.Lock()\n\tdefer c.mu.Unlock()\n\tc.n[k]++\n}\n"},
	{"go", "\tif err != nil {\n\t\treturn fmt.Errorf(\"load %s: %w\", path, err)\n\t}\n\tx := []byte{0x00, 0xff, 0x7f}\n\t_ = x[1:2:3]\n"},
	{"python", "def fib(n: int) -> int:\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n\n\nif __name__ == \"__main__\":\n    print(fib(42))\n"},
	{"python", "class Model(nn.Module):\n    def __init__(self, d_model=4096, n_heads=32):\n        super().__init__()\n        self.attn = nn.MultiheadAttention(d_model, n_heads)\n\n    def forward(self, x):\n        return self.attn(x, x, x)[0]  # self-attention\n"},
	{"python", "    try:\n        with open(path, 'r', encoding='utf-8') as f:\n            data = json.load(f)\n    except (OSError, ValueError) as e:\n        logger.error(f\"failed: {e!r}\")\n        raise\n"},
	{"js", "const sum = (xs) => xs.reduce((a, b) => a + b, 0);\n\nasync function main() {\n  const res = await fetch('https://example.com/api?x=1&y=2');\n  if (!res.ok) throw new Error(`HTTP ${res.status}`);\n  console.log(sum([1, 2, 3]) === 6 ? 'ok' : 'bad');\n}\n"},
	{"js", "export default {\n\tname: \"widget\",\n\tdata() { return { count: 0, items: [] }; },\n\tmethods: {\n\t\tinc() { this.count += 1; },\n\t},\n};\n"},
	{"c", "#include <stdio.h>\nint main(void) {\n    char *s = \"hello\\tworld\\n\";\n    for (int i = 0; s[i] != '\\0'; ++i) putchar(s[i]);\n    return 0;\n}\n"},
	{"rust", "fn main() {\n    let v: Vec<u32> = (1..=10).map(|x| x * x).collect();\n    println!(\"{:?}\", v);\n}\n"},
	{"sql", "SELECT u.id, COUNT(*) AS n\nFROM users u\nJOIN orders o ON o.user_id = u.id\nWHERE o.created_at >= '2024-01-01'\nGROUP BY u.id\nHAVING n > 10;\n"},
	{"shell", "#!/usr/bin/env bash\nset -euo pipefail\nfor f in *.json; do\n  jq -r '.text' \"$f\" | wc -c\ndone 2>&1 | sort -n\n"},
	{"html", "<!DOCTYPE html>\n<html>\n<body>\n  <table><tr><td>1</td><td>2</td></tr></table>\n  <div class=\"x\"><b>bold</b> &amp; <i>it</i></div>\n</body>\n</html>\n"},
	{"yaml", "model:\n  name: deepseek-ai/DeepSeek-V3\n  max_tokens: 4096\n  stop: [\"</s>\", \"<|eot_id|>\"]\n"},
}

// genCode writes code with indentation by spaces and tabs, re-indented
// variants, CRLF line endings and concatenations.
func genCode(s *sink, r *rng) {
	for _, c := range codeSnippets {
		s.add(c.lang, c.src)
		s.add(c.lang+"-crlf", strings.ReplaceAll(c.src, "\n", "\r\n"))
		s.add(c.lang+"-tabs", strings.ReplaceAll(c.src, "    ", "\t"))
		s.add(c.lang+"-deep", reindent(c.src, strings.Repeat(pick(r, []string{" ", "\t", "  "}), r.between(4, 24))))
		s.add(c.lang+"-fenced", "```"+c.lang+"\n"+c.src+"```\n")
	}
	for i := 0; i < 30; i++ {
		var parts []string
		for j := r.between(2, 5); j > 0; j-- {
			parts = append(parts, pick(r, codeSnippets).src)
		}
		s.add("concat", strings.Join(parts, pick(r, []string{"\n", "\n\n\n", "\r\n\r\n", "\n \n", "\t\n"})))
	}
	for i := 0; i < 20; i++ {
		s.add("identifiers", identifiers(r, r.between(5, 40)))
	}
}

func reindent(src, prefix string) string {
	lines := strings.Split(src, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

func identifiers(r *rng, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		w1, w2 := pick(r, latinWords), pick(r, latinWords)
		switch r.intn(6) {
		case 0:
			fmt.Fprintf(&b, "%s_%s%d", w1, w2, r.intn(1000))
		case 1:
			fmt.Fprintf(&b, "%s%s", w1, titleCase(w2))
		case 2:
			fmt.Fprintf(&b, "__%s__", w1)
		case 3:
			fmt.Fprintf(&b, "%s.%s(%s)", w1, w2, pick(r, []string{"", "x", "0x1F", "'a'", "\"b\"", "...args"}))
		case 4:
			fmt.Fprintf(&b, "%s->%s[%d]", w1, w2, r.intn(64))
		default:
			fmt.Fprintf(&b, "%s::%s", strings.ToUpper(w1), w2)
		}
		b.WriteString(pick(r, []string{" ", "; ", "\n", ", ", " = ", " != ", " && ", "\t"}))
	}
	return b.String()
}

// genJSON writes JSON documents: compact, indented, with escapes, with
// non-ASCII keys and values, and nested deeply.
func genJSON(s *sink, r *rng) {
	for i := 0; i < 60; i++ {
		v := randomJSON(r, r.between(1, 4))
		var out []byte
		switch i % 3 {
		case 0:
			out, _ = json.Marshal(v)
		case 1:
			out, _ = json.MarshalIndent(v, "", "  ")
		default:
			out, _ = json.MarshalIndent(v, "", "\t")
		}
		s.add("doc", string(out))
	}
	s.add("deep", strings.Repeat("[{\"a\":", 60)+"null"+strings.Repeat("}]", 60))
	s.add("escapes", `{"s":"line\nbreak\ttab \"quoted\" \\ back \u00e9 \ud83d\ude00 \u0000"}`)
	s.add("jsonl", `{"text":"hello"}`+"\n"+`{"text":"wörld","n":1}`+"\n"+`{"messages":[{"role":"user","content":"Hi!"}]}`+"\n")
}

func randomJSON(r *rng, depth int) any {
	if depth == 0 {
		switch r.intn(6) {
		case 0:
			return r.intn(1_000_000) - 500_000
		case 1:
			return float64(r.intn(1_000_000)) / 1000
		case 2:
			return r.chance(50)
		case 3:
			return nil
		default:
			return pick(r, prose[pick(r, languageOrder)])
		}
	}
	if r.chance(50) {
		m := map[string]any{}
		for j := r.between(1, 5); j > 0; j-- {
			m[pick(r, latinWords)+pick(r, []string{"", "_id", "Count", "ß", "名"})] = randomJSON(r, depth-1)
		}
		return m
	}
	var a []any
	for j := r.between(0, 5); j > 0; j-- {
		a = append(a, randomJSON(r, depth-1))
	}
	return a
}
