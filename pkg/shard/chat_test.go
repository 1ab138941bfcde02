package shard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/chattmpl"
	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// chatCases are the conversations of pkg/chattmpl's oracle test as
// payloads: every prompt and assistant-message shape it covers (tools,
// tool calls, reasoning, kwargs, per-request templates, a template that
// raises).
func chatCases(t testing.TB) (names []string, kinds []tokwork.Kind, payloads []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "chattmpl", "testdata", "conversations.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		var c struct {
			Name      string          `json:"name"`
			Prompt    json.RawMessage `json:"prompt"`
			Assistant json.RawMessage `json:"assistant"`
		}
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatal(err)
		}
		src := string(c.Prompt)
		if c.Assistant != nil {
			src = `{"assistant":` + string(c.Assistant) + `}`
		}
		req, err := chattmpl.ParseRequest(src)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		names = append(names, c.Name)
		if req.Message != nil {
			kinds, payloads = append(kinds, tokwork.Message), append(payloads, string(tokwork.AppendMessage(nil, *req.Message)))
		} else {
			kinds, payloads = append(kinds, tokwork.Prompt), append(payloads, string(tokwork.AppendPrompt(nil, *req.Prompt)))
		}
	}
	return names, kinds, payloads
}

// promptPayload is a KindPrompt payload of one user message with the
// per-request template tmpl.
func promptPayload(tmpl string) string {
	return string(tokwork.AppendPrompt(nil, events.PromptData{
		Messages:     []pyvalue.Value{pyvalue.MapOf("role", "user", "content", "hi")},
		ChatTemplate: &tmpl,
	}))
}

// wantOutcome is the in-process result of an item, as a tokwork.Result.
func wantOutcome(t testing.TB, c *chattmpl.Counter, k tokwork.Kind, payload string) tokwork.Result {
	t.Helper()
	return c.CountItem(k, payload)
}

// TestChatItemsMatchInProcess: chat items (every message and prompt case
// of chattmpl's testdata, with Llama-3 and Qwen3's shipped templates),
// mixed with texts in one batch and spread over two goroutines, count in
// a worker exactly as chattmpl.Counter.CountItem does in process: Count,
// Rendered and Fallback. The hello reports the counter's baseline.
func TestChatItemsMatchInProcess(t *testing.T) {
	names, kinds, payloads := chatCases(t)
	for _, model := range []string{"llama3", "qwen3"} {
		t.Run(model, func(t *testing.T) {
			dir := modelDir(t, model)
			tok, err := tokenize.LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			c, err := chattmpl.NewCounter(tok)
			if err != nil {
				t.Fatal(err)
			}
			w, _ := startWorker(t, dir, 2)
			prefix, baseline, berr := c.Baseline()
			if h := w.Hello().Chat; h != (ChatInfo{Template: true, Prefix: prefix, Baseline: baseline}) || berr != nil {
				t.Fatalf("hello chat %+v; in process prefix %d baseline %d err %v", h, prefix, baseline, berr)
			}

			// Interleave texts (one long) with the chat items, twice over.
			var items []string
			var ks []tokwork.Kind
			var labels []string
			for round := range 2 {
				for i := range payloads {
					text := fmt.Sprintf("text %d of round %d: <|eot_id|> héllo", i, round)
					if i == 7 {
						text = strings.Repeat("The quick brown fox. ", 5000)
					}
					items, ks, labels = append(items, text), append(ks, tokwork.Text), append(labels, "text")
					items, ks, labels = append(items, payloads[i]), append(ks, kinds[i]), append(labels, names[i])
				}
			}
			res, err := w.Count(context.Background(), items, ks)
			if err != nil {
				t.Fatal(err)
			}
			rendered, fallbacks := 0, 0
			for i := range items {
				want := wantOutcome(t, c, ks[i], items[i])
				if ks[i] == tokwork.Text {
					want.Count = tok.NewCounter().Count(items[i])
				}
				if res[i] != want {
					t.Fatalf("item %d (%s, %s): worker %+v, in process %+v", i, labels[i], ks[i], res[i], want)
				}
				if res[i].Rendered {
					rendered++
				}
				if res[i].Fallback != "" {
					fallbacks++
				}
			}
			if rendered == 0 || fallbacks == 0 {
				t.Fatalf("%d rendered, %d fallbacks: the cases should have both", rendered, fallbacks)
			}
			t.Logf("%d items: %d rendered, %d fallbacks, all equal to chattmpl in process", len(items), rendered, fallbacks)

			// A batch of texts only (a version-1 style count) still
			// counts, without chat fields.
			res, err = w.Count(context.Background(), []string{"hello world", ""}, nil)
			if err != nil || res[0].Count != tok.NewCounter().Count("hello world") || res[0].Rendered || res[1].Count != 0 {
				t.Fatalf("texts only: %+v %v", res, err)
			}
		})
	}
}

// TestChatFallbackRaise: a per-request template that raises makes the
// item count its fallback text (tokwork.Result.Fallback set, not an error); the
// worker keeps serving. On a tokenizer without a template the hello says
// so and prompts fall back too.
func TestChatFallbackRaise(t *testing.T) {
	dir := llama3Dir(t)
	tok, err := tokenize.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := chattmpl.NewCounter(tok)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := startWorker(t, dir, 1)
	raise := promptPayload("{{ raise_exception('x') }}")
	ok := promptPayload("{{ messages[0]['content'] }} there")
	res, err := w.Count(context.Background(), []string{raise, "text", ok}, []tokwork.Kind{tokwork.Prompt, tokwork.Text, tokwork.Prompt})
	if err != nil {
		t.Fatal(err)
	}
	want := wantOutcome(t, c, tokwork.Prompt, raise)
	if res[0] != want || res[0].Fallback == "" || !strings.Contains(res[0].Fallback, "x") || res[0].Rendered || res[0].Count < 1 {
		t.Fatalf("raising template: %+v, in process %+v", res[0], want)
	}
	if res[2] != (tokwork.Result{Count: tok.NewCounter().Count("hi there"), Rendered: true}) {
		t.Fatalf("per-request template: %+v", res[2])
	}
	t.Logf("fallback: %+v", res[0])
	if again, err := w.Count(context.Background(), []string{ok}, []tokwork.Kind{tokwork.Prompt}); err != nil || again[0] != res[2] {
		t.Fatalf("after a fallback: %+v %v", again, err)
	}

	// The tiny tokenizer has no tokenizer_config.json.
	tw, _ := startWorker(t, tinyDir(t), 1)
	if h := tw.Hello().Chat; h.Template || h.Prefix != 0 || !strings.Contains(h.Error, "no chat template") {
		t.Fatalf("hello chat without a template: %+v", h)
	}
	msg := string(tokwork.AppendMessage(nil, events.MessageParts{Content: "answer"}))
	res, err = tw.Count(context.Background(), []string{msg, ok}, []tokwork.Kind{tokwork.Message, tokwork.Prompt})
	if err != nil || !strings.Contains(res[0].Fallback, "no chat template") || res[0].Count < 1 || !res[1].Rendered {
		t.Fatalf("without a template: %+v %v", res, err)
	}
}

// TestChatKindsChecked: kinds of the wrong length are refused by the
// client without touching the worker, and by the worker with an error
// frame (driven by hand); unknown kinds fail their item only; kinds that
// are all texts count as a plain batch.
func TestChatKindsChecked(t *testing.T) {
	w, _ := startWorker(t, tinyDir(t), 2)
	if _, err := w.Count(context.Background(), []string{"a", "b"}, []tokwork.Kind{tokwork.Text}); err == nil || !strings.Contains(err.Error(), "1 kinds for 2 texts") || errors.Is(err, ErrWorkerDead) {
		t.Fatalf("kinds of the wrong length: %v", err)
	}
	res, err := w.Count(context.Background(), []string{"a", "b", "c"}, []tokwork.Kind{0, 7, 0})
	if err != nil || res[1].Err != "unknown item kind 7" || res[0].Count < 1 || res[2].Count < 1 {
		t.Fatalf("unknown kind: %+v %v", res, err)
	}
	if res, err := w.Count(context.Background(), []string{"a"}, []tokwork.Kind{0}); err != nil || res[0].Count < 1 {
		t.Fatalf("all-text kinds: %+v %v", res, err)
	}

	cmd := exec.Command(workerBin(t), "--tokenizer", tinyDir(t))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	r := NewReader(stdout)
	if f, err := r.ReadFrame(); err != nil || f.Type != TypeHello || f.V != 2 {
		t.Fatalf("hello %+v %v", f, err)
	}
	for _, f := range []*Frame{
		{Type: TypeCount, ID: 4, Texts: []string{"a", "b"}, Kinds: []tokwork.Kind{0, 0, 1}},
		{Type: TypeCount, ID: 5, Texts: []string{"a", "b"}, Kinds: []tokwork.Kind{0, 0}},
	} {
		b, err := AppendFrame(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stdin.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if f, err := r.ReadFrame(); err != nil || f.Type != TypeError || f.ID != 4 || !strings.Contains(f.Error, "3 kinds for 2 texts") {
		t.Fatalf("answer to wrong kinds: %+v %v", f, err)
	}
	if f, err := r.ReadFrame(); err != nil || f.Type != TypeCounts || f.ID != 5 || len(f.Rendered) != 2 || len(f.Fallbacks) != 2 {
		t.Fatalf("answer after: %+v %v", f, err)
	}
	stdin.Close()
}

// limitWorker starts a worker on dir with the limits of the hostile tests.
func limitWorker(t *testing.T, dir string, procs int) (*Worker, *logBuf) {
	t.Helper()
	logs := &logBuf{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := Start(ctx, Config{
		Bin: workerBin(t), TokenizerDir: dir, Procs: procs,
		RenderTimeout: time.Second, RenderMemory: 256 << 20,
		Log: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Kill)
	return w, logs
}

// TestSandboxedTemplates: per-request templates Jinja2's sandbox refuses
// (runaway recursion, a range() beyond 100,000 items) raise in the worker
// as in Jinja2: the item is counted through upstream's fallback text, the
// worker stays up and serves the next request.
func TestSandboxedTemplates(t *testing.T) {
	w, _ := limitWorker(t, tinyDir(t), 1)
	for _, tc := range []struct{ tmpl, reason string }{
		{`{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}`, "RecursionError"},
		{`{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}`, "RecursionError"},
		{`{% for i in range(50000000) %}{% endfor %}`, "OverflowError"},
		{`{{ range(50000000) | list | length }}`, "OverflowError"},
	} {
		res, err := w.Count(context.Background(), []string{"text", promptPayload(tc.tmpl)},
			[]tokwork.Kind{tokwork.Text, tokwork.Prompt})
		if err != nil {
			t.Fatalf("%s: %v", tc.tmpl, err)
		}
		if res[1].Rendered || !strings.Contains(res[1].Fallback, tc.reason) || res[1].Count < 1 {
			t.Errorf("%s: %+v, want a fallback count naming %s", tc.tmpl, res[1], tc.reason)
		}
	}
	select {
	case <-w.Exited():
		t.Fatal("the worker exited")
	default:
	}
}

// TestHostileTemplates: per-request templates that Jinja2 would render
// without end (huge output, a loop for ever) make Count fail promptly
// with an error naming the reason; the worker is dead and reaped, and
// this process is unharmed.
func TestHostileTemplates(t *testing.T) {
	for _, tc := range []struct {
		name, tmpl string
		reasons    []string // any of these in the error text
		exit       int      // expected exit status (0: any)
		procs      int      // 1: the render competes with the watchdog for the one P
	}{
		{"huge output", `{% for i in range(100000) %}{% for j in range(100000) %}{{ "x" * 10000000 }}{% endfor %}{% endfor %}`, []string{"render memory limit", "render timeout"}, ExitRenderLimit, 2},
		{"huge list", `{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = ns.l + ["x" * 1000000] %}{% endfor %}{{ ns.l | length }}`, []string{"render memory limit", "render timeout"}, ExitRenderLimit, 1},
		{"long loop", `{% for i in range(3000) %}{% for j in range(3000) %}{% for k in range(3000) %}{% endfor %}{% endfor %}{% endfor %}`, []string{"render timeout: item 1 (prompt) of batch 1 ran"}, ExitRenderLimit, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, logs := limitWorker(t, tinyDir(t), tc.procs)
			t0 := time.Now()
			res, err := w.Count(context.Background(), []string{"text", promptPayload(tc.tmpl), "more text"},
				[]tokwork.Kind{tokwork.Text, tokwork.Prompt, tokwork.Text})
			d := time.Since(t0)
			if err == nil {
				t.Fatalf("hostile template counted: %+v", res)
			}
			if !errors.Is(err, ErrWorkerDead) || !errors.Is(err, ErrRenderLimit) {
				t.Fatalf("error does not match ErrWorkerDead and ErrRenderLimit: %v", err)
			}
			named := false
			for _, r := range tc.reasons {
				named = named || strings.Contains(err.Error(), r)
			}
			if !named {
				t.Fatalf("error names none of %q: %v", tc.reasons, err)
			}
			if d > 5*time.Second {
				t.Fatalf("Count took %v", d)
			}
			select {
			case <-w.Exited():
			case <-time.After(time.Second):
				t.Fatal("worker not reaped")
			}
			if st := procState(w.Pid()); st != "" {
				t.Fatalf("worker %d still in /proc (state %s)", w.Pid(), st)
			}
			code := w.cmd.ProcessState.ExitCode()
			if tc.exit != 0 && code != tc.exit {
				t.Fatalf("exit status %d, want %d: %v", code, tc.exit, err)
			}
			if code == ExitRenderLimit && !strings.Contains(logs.String(), "level=ERROR") {
				t.Fatalf("the reason was not forwarded as an error record:\n%s", logs)
			}
			t.Logf("after %v, exit status %d: %s", d.Round(time.Millisecond), code, err)
		})
	}
	// This process is unharmed: a new worker serves.
	w, _ := limitWorker(t, tinyDir(t), 1)
	if res, err := w.Count(context.Background(), []string{"ok"}, nil); err != nil || res[0].Count < 1 {
		t.Fatalf("a new worker: %+v %v", res, err)
	}
}

// TestHostileConfigTemplate: a downloaded tokenizer_config.json whose
// template never ends kills the worker during its start-up baseline
// renders (under the watchdog): Start fails naming the timeout.
func TestHostileConfigTemplate(t *testing.T) {
	dir := t.TempDir()
	tj, err := os.ReadFile(filepath.Join(tinyDir(t), "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]any{"chat_template": `{% for i in range(3000) %}{% for j in range(3000) %}{% for k in range(3000) %}{% endfor %}{% endfor %}{% endfor %}`})
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tj, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t0 := time.Now()
	_, err = Start(ctx, Config{Bin: workerBin(t), TokenizerDir: dir, Procs: 1, RenderTimeout: 500 * time.Millisecond})
	if err == nil || !errors.Is(err, ErrRenderLimit) || !strings.Contains(err.Error(), "exit status 3") ||
		!strings.Contains(err.Error(), "render timeout: the chat-template baseline render of counter 0 at start-up") {
		t.Fatalf("Start with a hostile config template: %v", err)
	}
	t.Logf("after %v: %v", time.Since(t0).Round(time.Millisecond), err)
}

// TestRenderFlags: bad render limits are start-up failures (a fatal frame,
// exit status 1); good ones are accepted in both size forms.
func TestRenderFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // "" = starts
	}{
		{[]string{"--render-memory", "12XB"}, `invalid value "12XB" for flag -render-memory`},
		{[]string{"--render-memory", "0"}, `invalid value "0" for flag -render-memory: size "0": must be positive`},
		{[]string{"--render-timeout", "0s"}, "--render-timeout 0s: must be positive"},
		{[]string{"--render-memory", "512MiB", "--render-timeout", "250ms"}, ""},
		{[]string{"--render-memory", "536870912"}, ""},
	} {
		cmd := exec.Command(workerBin(t), append([]string{"--tokenizer", tinyDir(t)}, tc.args...)...)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		f, err := NewReader(stdout).ReadFrame()
		stdin.Close()
		werr := cmd.Wait()
		switch {
		case err != nil:
			t.Fatalf("%q: %v", tc.args, err)
		case tc.want == "" && (f.Type != TypeHello || werr != nil):
			t.Fatalf("%q: %+v, exit %v", tc.args, f, werr)
		case tc.want != "" && (f.Type != TypeFatal || !strings.Contains(f.Error, tc.want) || cmd.ProcessState.ExitCode() != 1):
			t.Fatalf("%q: %+v, exit %v", tc.args, f, werr)
		}
	}
}
