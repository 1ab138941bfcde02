package jsonstr

import (
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"
)

// pieces are the fragments the literals of TestUnquoteMatchesPython are
// built from: plain text, every escape, surrogate pairs and halves in
// every arrangement, and the malformed ones.
var pieces = []string{
	"a", "xyz ", "é", "😀", "中文", `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`,
	`\u00e9`, `\u00E9`, `\u0000`, `\ud83d\ude00`, `\uD83D\uDE00`, `\ud800`, `\udc00`, `\udbff`,
	`\ud800\ud800\udc00`, `\ud800x`, `\ud800\u0041`, `\udc00\ud800`,
	// malformed: a bad escape, a short \u, a raw control character
	`\x`, `\u12`, `\u12g4`, "\x01", "\t",
}

// TestUnquoteMatchesPython: on 4000 random literals, Unquote decodes
// exactly what Python's json.loads decodes (each lone surrogate as U+FFFD,
// counted), and refuses exactly the literals json.loads refuses.
func TestUnquoteMatchesPython(t *testing.T) {
	if _, err := exec.LookPath("/usr/bin/python3"); err != nil {
		t.Skip("no python3")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	lits := make([]string, 4000)
	for i := range lits {
		var b strings.Builder
		b.WriteByte('"')
		for range rng.IntN(6) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		if rng.IntN(40) != 0 { // some lack the closing quote
			b.WriteByte('"')
		}
		lits[i] = b.String()
	}
	in, _ := json.Marshal(lits)
	cmd := exec.Command("/usr/bin/python3", "-c", `
import json, sys
out = []
for s in json.load(sys.stdin):
    try:
        v = json.loads(s)
        lone = sum(1 for c in v if 0xD800 <= ord(c) <= 0xDFFF)
        fixed = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in v)
        out.append([fixed, lone])
    except json.JSONDecodeError:
        out.append(None)
json.dump(out, sys.stdout)
`)
	cmd.Stdin = strings.NewReader(string(in))
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var want []*[2]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i, lit := range lits {
		got, n, lone, err := Unquote(nil, lit)
		gotB, _, _, errB := Unquote(nil, []byte(lit))
		if string(got) != string(gotB) || (err == nil) != (errB == nil) {
			t.Fatalf("%q: string and []byte inputs disagree", lit)
		}
		w := want[i]
		switch {
		case w == nil && err == nil:
			t.Errorf("%q: decoded %q, Python refuses it", lit, got)
		case w != nil && err != nil:
			t.Errorf("%q: %v, Python decodes %q", lit, err, w[0])
		case w != nil && (string(got) != w[0].(string) || lone != int(w[1].(float64)) || n != len(lit)):
			t.Errorf("%q: got %q (lone %d, n %d), Python %q (lone %v)", lit, got, lone, n, w[0], w[1])
		}
		if w == nil {
			bad++
		}
		if err == nil && !utf8.Valid(got) {
			t.Errorf("%q: invalid UTF-8 out of valid input", lit)
		}
	}
	if bad == 0 || bad == len(lits) {
		t.Fatalf("%d of %d literals malformed: the corpus does not exercise both sides", bad, len(lits))
	}
}

// TestUnquoteStopsAtTheClosingQuote: n covers the literal only, and the
// prefix of dst is kept.
func TestUnquoteStopsAtTheClosingQuote(t *testing.T) {
	out, n, _, err := Unquote([]byte("x:"), `"a\"b" , "c"`)
	if err != nil || string(out) != `x:a"b` || n != 6 {
		t.Fatalf("got %q, %d, %v", out, n, err)
	}
}

// BenchmarkUnquote: the fast path (no escape) copies, escapes decode
// without allocating.
func BenchmarkUnquote(b *testing.B) {
	plain := `"` + strings.Repeat("hello world ", 20) + `"`
	esc := `"` + strings.Repeat(`line\n\u00e9\ud83d\ude00 `, 20) + `"`
	dst := make([]byte, 0, 1024)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		dst, _, _, _ = Unquote(dst[:0], plain)
		dst, _, _, _ = Unquote(dst[:0], esc)
	}
}

// TestAppendMatchesPython: Append writes what Python's json.dumps writes,
// with ensure_ascii on (final_snapshot.json) and off (msgspec's escaping
// is the same for valid UTF-8), on random strings of every kind of rune.
func TestAppendMatchesPython(t *testing.T) {
	runes := []rune{'a', ' ', '"', '\\', '/', '\n', '\r', '\t', '\b', '\f', 0, 1, 0x1f, 0x7f, 0x80, 'é', 0x2028, '中', 0xfffd, '😀', 0x10ffff}
	rng := rand.New(rand.NewPCG(3, 4))
	strs := make([]string, 2000)
	for i := range strs {
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteRune(runes[rng.IntN(len(runes))])
		}
		strs[i] = b.String()
	}
	in, _ := json.Marshal(strs)
	cmd := exec.Command("/usr/bin/python3", "-c", `
import json, sys
json.dump([[json.dumps(s), json.dumps(s, ensure_ascii=False)] for s in json.load(sys.stdin)], sys.stdout)
`)
	cmd.Stdin = strings.NewReader(string(in))
	raw, err := cmd.Output()
	if err != nil {
		t.Skipf("python: %v", err)
	}
	var want [][2]string
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	for i, s := range strs {
		if got := string(Append(nil, s, true)); got != want[i][0] {
			t.Errorf("ensure_ascii %q: got %s, Python %s", s, got, want[i][0])
		}
		if got := string(Append(nil, s, false)); got != want[i][1] {
			t.Errorf("raw %q: got %s, Python %s", s, got, want[i][1])
		}
	}
	if got := string(Append(nil, "a\xffb", true)); got != `"a\ufffdb"` {
		t.Errorf("invalid UTF-8: %s", got)
	}
}
