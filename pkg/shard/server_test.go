package shard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// runeCounter counts runes; "fail:" items fail and "panic:" items panic.
type runeCounter struct{}

func (c *runeCounter) CountErr(s string) (int, error) {
	switch {
	case strings.HasPrefix(s, "fail:"):
		return 0, errors.New("failed " + s)
	case strings.HasPrefix(s, "panic:"):
		panic("panicked " + s)
	}
	return utf8.RuneCountInString(s), nil
}

// session is Serve running over pipes.
type session struct {
	t    *testing.T
	inW  *io.PipeWriter
	r    *Reader
	done chan error
}

func serveSession(t *testing.T, procs int) *session {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &session{t: t, inW: inW, r: NewReader(outR), done: make(chan error, 1)}
	go func() {
		s.done <- Serve(inR, outW, ServeConfig{
			Hello:      Hello{PID: 42, Tokenizer: "sha256:test", Procs: procs, CPUs: "0"},
			NewCounter: func() ItemCounter { return &runeCounter{} },
			Procs:      procs,
		})
		outW.Close()
	}()
	t.Cleanup(func() { inW.Close(); outR.Close() })
	h := s.recv()
	if h.Type != TypeHello || h.V != Version || h.PID != 42 || h.Tokenizer != "sha256:test" || h.Procs != procs || h.CPUs != "0" {
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
	raw := appendKV(appendMapLen(nil, 1), "t", TypeCount)
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
