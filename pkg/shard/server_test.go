package shard

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mlperf-tools/aggregator/internal/msgp"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// runeCounter counts runes; "fail:" items fail and "panic:" items panic.
// A chat item counts the bytes of its payload, rendered, unless the
// payload starts with "fallback:" (a fallback) or "sleep:" (it sleeps
// the duration that follows, for the watchdog).
type runeCounter struct{}

func (c *runeCounter) CountItem(k tokwork.Kind, s string) tokwork.Result {
	fail := func(msg string) tokwork.Result { return tokwork.Result{Count: -1, Err: msg} }
	switch {
	case strings.HasPrefix(s, "fail:"):
		return fail("failed " + s)
	case strings.HasPrefix(s, "panic:"):
		panic("panicked " + s)
	}
	if k == tokwork.Text {
		return tokwork.Result{Count: utf8.RuneCountInString(s)}
	}
	if k > tokwork.Prompt {
		return fail(fmt.Sprintf("unknown item kind %d", k))
	}
	if d, ok := strings.CutPrefix(s, "sleep:"); ok {
		dur, err := time.ParseDuration(d)
		if err != nil {
			return fail(err.Error())
		}
		time.Sleep(dur)
	}
	if strings.HasPrefix(s, "fallback:") {
		return tokwork.Result{Count: 1000 + len(s), Fallback: "no template for " + s}
	}
	return tokwork.Result{Count: len(s), Rendered: true}
}

// session is Serve running over pipes.
type session struct {
	t    *testing.T
	inW  *io.PipeWriter
	r    *Reader
	done chan error
}

func serveSession(t *testing.T, procs int) *session {
	return serveSessionWatched(t, procs, nil)
}

// serveSessionWatched is serveSession with a watchdog.
func serveSessionWatched(t *testing.T, procs int, wd *Watchdog) *session {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &session{t: t, inW: inW, r: NewReader(outR), done: make(chan error, 1)}
	chat := ChatInfo{Template: true, Prefix: 5, Baseline: 4}
	go func() {
		s.done <- Serve(inR, outW, ServeConfig{
			Hello:      Hello{PID: 42, Tokenizer: "sha256:test", Procs: procs, CPUs: "0", Chat: chat},
			NewCounter: func() ItemCounter { return &runeCounter{} },
			Procs:      procs,
			Watchdog:   wd,
		})
		outW.Close()
	}()
	t.Cleanup(func() { inW.Close(); outR.Close() })
	h := s.recv()
	if h.Type != TypeHello || h.V != Version || h.PID != 42 || h.Tokenizer != "sha256:test" || h.Procs != procs || h.CPUs != "0" || h.Chat != chat {
		t.Fatalf("hello = %+v", h)
	}
	return s
}

func (s *session) recv() *Frame {
	s.t.Helper()
	f, err := s.r.ReadFrame()
	if err != nil {
		s.t.Fatalf("reading an answer: %v", err)
	}
	return f
}

func (s *session) send(f *Frame) {
	s.t.Helper()
	b, err := AppendFrame(nil, f)
	if err != nil {
		s.t.Fatal(err)
	}
	s.write(b)
}

// sendRaw sends payload as one frame, whatever it holds.
func (s *session) sendRaw(payload []byte) {
	s.t.Helper()
	s.write(append(binary.BigEndian.AppendUint32(nil, uint32(len(payload))), payload...))
}

func (s *session) write(b []byte) {
	s.t.Helper()
	if _, err := s.inW.Write(b); err != nil {
		s.t.Fatal(err)
	}
}

func TestServeCountsInOrder(t *testing.T) {
	for _, procs := range []int{1, 4} {
		s := serveSession(t, procs)
		texts := make([]string, 1000)
		for i := range texts {
			texts[i] = strings.Repeat("ä", i%97)
			if i%101 == 0 {
				texts[i] = fmt.Sprintf("fail:%d", i)
			}
			if i%211 == 0 {
				texts[i] = fmt.Sprintf("panic:%d", i)
			}
		}
		for id := uint64(1); id <= 3; id++ {
			s.send(&Frame{Type: TypeCount, ID: id, Texts: texts})
			f := s.recv()
			if f.Type != TypeCounts || f.ID != id || len(f.Counts) != len(texts) || len(f.Errors) != len(texts) {
				t.Fatalf("procs %d: answer %s id %d with %d counts", procs, f.Type, f.ID, len(f.Counts))
			}
			for i, s := range texts {
				switch {
				case strings.HasPrefix(s, "fail:"):
					if f.Counts[i] != -1 || f.Errors[i] != "failed "+s {
						t.Fatalf("item %d: %d %q", i, f.Counts[i], f.Errors[i])
					}
				case strings.HasPrefix(s, "panic:"):
					if f.Counts[i] != -1 || !strings.Contains(f.Errors[i], "tokenizer panic: panicked "+s) {
						t.Fatalf("item %d: %d %q", i, f.Counts[i], f.Errors[i])
					}
				default:
					if f.Counts[i] != utf8.RuneCountInString(s) || f.Errors[i] != "" {
						t.Fatalf("item %d: %d %q", i, f.Counts[i], f.Errors[i])
					}
				}
			}
		}
		s.send(&Frame{Type: TypeCount, ID: 9, Texts: []string{}})
		if f := s.recv(); f.Type != TypeCounts || f.ID != 9 || len(f.Counts) != 0 {
			t.Fatalf("empty batch answer %+v", f)
		}
		s.inW.Close()
		if err := <-s.done; err != nil {
			t.Fatalf("Serve after stdin EOF: %v", err)
		}
	}
}

func TestServeUnknownAndMalformed(t *testing.T) {
	s := serveSession(t, 2)
	s.send(&Frame{Type: "render", ID: 17, Texts: []string{"x"}})
	if f := s.recv(); f.Type != TypeError || f.ID != 17 || !strings.Contains(f.Error, `unknown frame type "render"`) {
		t.Fatalf("unknown frame answer %+v", f)
	}
	s.send(&Frame{Type: TypeCount, ID: 18}) // nil texts encode as an empty array
	if f := s.recv(); f.Type != TypeCounts || f.ID != 18 {
		t.Fatalf("count with empty texts: %+v", f)
	}
	// A count frame without "texts" (as a later version might send).
	raw := appendKV(msgp.AppendMapLen(nil, 1), "t", TypeCount)
	s.sendRaw(raw)
	if f := s.recv(); f.Type != TypeError || !strings.Contains(f.Error, "without") {
		t.Fatalf("count without texts: %+v", f)
	}
	// A malformed payload in a well-formed frame: the stream stays in sync.
	s.sendRaw([]byte{0x93, 1, 2, 3})
	if f := s.recv(); f.Type != TypeError || f.ID != 0 || !strings.Contains(f.Error, "malformed") {
		t.Fatalf("malformed frame answer %+v", f)
	}
	s.send(&Frame{Type: TypeCount, ID: 19, Texts: []string{"abc"}})
	if f := s.recv(); f.Type != TypeCounts || f.ID != 19 || f.Counts[0] != 3 {
		t.Fatalf("after errors: %+v", f)
	}
	s.send(&Frame{Type: TypeShutdown})
	if err := <-s.done; err != nil {
		t.Fatalf("Serve after shutdown: %v", err)
	}
}

// TestServeKinds: a batch mixing texts and chat items answers counts,
// rendered flags and fallbacks per item, in order, over several
// goroutines; kinds of the wrong length are refused with an error frame;
// a batch without kinds answers without the chat fields.
func TestServeKinds(t *testing.T) {
	for _, procs := range []int{1, 3} {
		s := serveSession(t, procs)
		var texts []string
		var kinds []tokwork.Kind
		for i := range 300 {
			switch i % 5 {
			case 0, 1:
				texts, kinds = append(texts, strings.Repeat("ü", i)), append(kinds, tokwork.Text)
			case 2:
				texts, kinds = append(texts, "\x81\xa1m"+strings.Repeat("x", i)), append(kinds, tokwork.Message)
			case 3:
				texts, kinds = append(texts, fmt.Sprintf("fallback:%d", i)), append(kinds, tokwork.Prompt)
			case 4:
				texts, kinds = append(texts, fmt.Sprintf("fail:%d", i)), append(kinds, tokwork.Prompt)
			}
		}
		texts, kinds = append(texts, "x"), append(kinds, tokwork.Kind(9))
		s.send(&Frame{Type: TypeCount, ID: 5, Texts: texts, Kinds: kinds})
		f := s.recv()
		if f.Type != TypeCounts || f.ID != 5 || len(f.Counts) != len(texts) || len(f.Rendered) != len(texts) || len(f.Fallbacks) != len(texts) {
			t.Fatalf("procs %d: answer %+v", procs, f)
		}
		for i, x := range texts {
			want := tokwork.Result{}
			switch {
			case kinds[i] == 9:
				want = tokwork.Result{Count: -1, Err: "unknown item kind 9"}
			case kinds[i] == tokwork.Text:
				want.Count = utf8.RuneCountInString(x)
			case strings.HasPrefix(x, "fail:"):
				want = tokwork.Result{Count: -1, Err: "failed " + x}
			case strings.HasPrefix(x, "fallback:"):
				want = tokwork.Result{Count: 1000 + len(x), Fallback: "no template for " + x}
			default:
				want = tokwork.Result{Count: len(x), Rendered: true}
			}
			got := tokwork.Result{Count: f.Counts[i], Err: f.Errors[i], Rendered: f.Rendered[i], Fallback: f.Fallbacks[i]}
			if got != want {
				t.Fatalf("procs %d item %d (%s %q): got %+v, want %+v", procs, i, kinds[i], x, got, want)
			}
		}
		s.send(&Frame{Type: TypeCount, ID: 6, Texts: []string{"a", "b"}, Kinds: []tokwork.Kind{tokwork.Text}})
		if f := s.recv(); f.Type != TypeError || f.ID != 6 || !strings.Contains(f.Error, "1 kinds for 2 texts") {
			t.Fatalf("kinds of the wrong length: %+v", f)
		}
		s.send(&Frame{Type: TypeCount, ID: 7, Texts: []string{"abc"}})
		if f := s.recv(); f.Type != TypeCounts || f.Counts[0] != 3 || f.Rendered != nil || f.Fallbacks != nil {
			t.Fatalf("a batch without kinds: %+v", f)
		}
		s.send(&Frame{Type: TypeShutdown})
		if err := <-s.done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestWatchdogTimeout: in process, with the exit replaced, the watchdog
// names the chat item that ran past the timeout, leaves text items alone
// however long they take, and is idle between chat items.
func TestWatchdogTimeout(t *testing.T) {
	reasons := make(chan string, 1)
	wd := newWatchdog(Limits{Timeout: 300 * time.Millisecond, Memory: 1 << 40}, 2, func(r string) { reasons <- r })
	go wd.run()
	t.Cleanup(wd.stop)
	s := serveSessionWatched(t, 2, wd)
	// Chat items under the timeout, and a slow text: no reason.
	s.send(&Frame{Type: TypeCount, ID: 1, Texts: []string{"sleep:20ms", "sleep:30ms", "a"}, Kinds: []tokwork.Kind{1, 2, 0}})
	if f := s.recv(); f.Type != TypeCounts || !f.Rendered[0] || !f.Rendered[1] {
		t.Fatalf("answer %+v", f)
	}
	select {
	case r := <-reasons:
		t.Fatalf("watchdog fired on short items: %s", r)
	case <-time.After(400 * time.Millisecond):
	}
	if n := wd.active.Load(); n != 0 {
		t.Fatalf("%d slots busy after the batch", n)
	}
	s.send(&Frame{Type: TypeCount, ID: 17, Texts: []string{"a", "b", "c", "sleep:2s"}, Kinds: []tokwork.Kind{0, 0, 0, 2}})
	t0 := time.Now()
	select {
	case r := <-reasons:
		if !strings.HasPrefix(r, "render timeout: item 3 (prompt) of batch 17 ran ") || !strings.HasSuffix(r, "(--render-timeout 300ms)") {
			t.Fatalf("reason %q", r)
		}
		if d := time.Since(t0); d > time.Second {
			t.Fatalf("fired after %v", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("watchdog did not fire")
	}
}

// TestWatchdogMemory: a render growing the heap past the limit is named.
func TestWatchdogMemory(t *testing.T) {
	reasons := make(chan string, 1)
	wd := newWatchdog(Limits{Timeout: time.Hour, Memory: 64 << 20}, 1, func(r string) { reasons <- r })
	go wd.run()
	t.Cleanup(wd.stop)
	wd.Begin(0, 9, 2, tokwork.Message)
	var keep [][]byte
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case r := <-reasons:
			wd.End(0)
			if !strings.HasPrefix(r, "render memory limit: worker memory ") || !strings.Contains(r, "while rendering item 2 (message) of batch 9") {
				t.Fatalf("reason %q", r)
			}
			t.Logf("%s (held %d MiB)", r, len(keep))
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("watchdog did not fire")
		}
		if len(keep) < 256 {
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			keep = append(keep, b)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "268435456": 256 << 20, "512MiB": 512 << 20, "2GiB": 2 << 30,
		"1 GiB": 1 << 30, "3KiB": 3 << 10, "1TiB": 1 << 40, "5GB": 5e9, "7MB": 7e6, "9KB": 9000, "100B": 100} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "-1", "1.5GiB", "2 gib", "9999999999TiB", "12XB"} {
		if v, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) = %d, want an error", in, v)
		}
	}
	if got := FormatBytes(2 << 30); got != "2.0 GiB" {
		t.Errorf("FormatBytes = %q", got)
	}
}
