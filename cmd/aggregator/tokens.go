package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/mlperf-tools/aggregator/internal/jsonstr"
	"github.com/mlperf-tools/aggregator/pkg/chattmpl"
	"github.com/mlperf-tools/aggregator/pkg/hfhub"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
)

// tokenCounter is what `tokens count` needs from a tokenizer: one
// goroutine's *tokenize.Counter (own scratch and word cache).
type tokenCounter interface {
	CountErr(text string) (int, error)
	Encode(text string) ([]int, error)
}

var _ tokenCounter = (*tokenize.Counter)(nil)

// inputMode says how an input line becomes the text to tokenize.
type inputMode int

const (
	modePlain inputMode = iota // the line itself
	modeJSONL                  // the "text" string of a JSON object
	modeChat                   // a structured prompt or assistant message, rendered (tokens_chat.go)
)

type tokensCountFlags struct {
	tokenizer  string
	revision   string
	cacheDir   string
	offline    bool
	jsonl      bool
	jsonOut    bool
	ids        bool
	stripCR    bool
	chat       bool
	noFallback bool
}

func newTokensCmd(lf *logFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:           "tokens",
		Short:         "Tokenizer tools: count tokens as the daemon counts them",
		Args:          cobra.ArbitraryArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("tokens: unknown subcommand %q (want count)", args[0])
			}
			return errors.New("tokens: missing subcommand (want count)")
		},
	}
	cmd.AddCommand(newTokensCountCmd(lf))
	return cmd
}

func newTokensCountCmd(lf *logFlags) *cobra.Command {
	var f tokensCountFlags
	cmd := &cobra.Command{
		Use:   "count --tokenizer MODEL|DIR [--jsonl] [FILE...]",
		Short: "Print the token count of every input line",
		Long: `count tokenizes every line of the FILEs (or stdin; "-" is stdin) with the
tokenizer the daemon would use for --tokenizer, and prints one count per
line, in order. Counts are without special tokens (add_special_tokens=False),
as the benchmark counts ISL and OSL; a special token written in the text
counts as one token.

--tokenizer is a local directory holding tokenizer.json, or a Hugging Face
model id resolved like transformers does: the hub cache ($HF_HUB_CACHE,
else $HF_HOME/hub, else ~/.cache/huggingface/hub), else a download from
$HF_ENDPOINT (token: $HF_TOKEN) into that cache. HF_HUB_OFFLINE=1 or
--offline uses the cache only.

A line is everything up to a "\n", which is removed; nothing else is
stripped: a "\r" before it is part of the text (as Python's
sys.stdin lines with rstrip("\n")) unless --strip-cr. A last line without
"\n" is a line; an empty input prints nothing. Lines of any length work.
Input must be valid UTF-8 (the HF tokenizer accepts nothing else).

A line that cannot be counted (invalid UTF-8, a JSON line without a "text"
string or with a lone surrogate escape, a --chat line that is not a
request) gets its own answer, an empty line (or {"error": "..."} with
--json-out), and a warning naming it on stderr; every other line is still
counted, and the exit status is 1 at the end.

With --jsonl every line is a JSON object whose "text" field (a string) is
tokenized. --json-out prints {"count": N} per line; --ids prints the token
ids (space-separated, or {"ids": [...]} with --json-out) instead.

With --chat (--jsonl may be given too) every line is a JSON object
rendered through the model's chat template exactly as transformers'
apply_chat_template renders it, then counted as upstream counts it. The
template is transformers': chat_template.jinja and additional_chat_templates/
*.jinja when the model has them, else tokenizer_config.json's chat_template;
a request names one of several templates, or brings its own, with
"chat_template".
  {"messages": [...], "tools": [...], "chat_template_kwargs": {...},
   "chat_template": "...", "tool_choice": ...}   (all but messages optional)
      the ISL of a structured prompt (add_generation_prompt=True, tool-call
      arguments given as JSON strings parsed to objects);
  {"assistant": {"content": ..., "reasoning_content": ..., "tool_calls": [...]}}
      the OSL of an output message: the tokens of [user "", assistant] minus
      those of [user ""] and of the empty assistant frame, floored at 0.
A line the template cannot render (no template, raise_exception, a template
error) is counted through upstream's fallback text, as the daemon counts it,
with a warning per distinct reason; --no-fallback makes it an error instead.
A template Jinja2's sandbox refuses (range() over more than 100,000 items,
runaway recursion) raises here as there. --chat renders templates in this
process, without the time and memory limits the daemon's shardworkers
enforce on the rest (a template that prints without end): use it only with
templates you trust.`,
		Args:          cobra.ArbitraryArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := lf.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runTokensCount(cmd.Context(), &f, args, cmd.InOrStdin(), cmd.OutOrStdout(), log)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.tokenizer, "tokenizer", "", "HF model id or local directory with tokenizer.json (required)")
	fl.StringVar(&f.revision, "revision", "", "model revision: branch, tag or commit hash (default main)")
	fl.StringVar(&f.cacheDir, "cache-dir", "", "hub cache directory (default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)")
	fl.BoolVar(&f.offline, "offline", false, "never touch the network: use the hub cache only (as HF_HUB_OFFLINE=1)")
	fl.BoolVar(&f.jsonl, "jsonl", false, `input lines are JSON objects; count their "text" field (with --chat: the requests)`)
	fl.BoolVar(&f.jsonOut, "json-out", false, `print {"count": N} (or {"ids": [...]}) per line`)
	fl.BoolVar(&f.ids, "ids", false, "print the token ids instead of the count (debugging)")
	fl.BoolVar(&f.chat, "chat", false, "input lines are chat requests (messages/tools/... or assistant); render with the chat template, then count")
	fl.BoolVar(&f.noFallback, "no-fallback", false, "with --chat: a line the chat template cannot render is an error, not counted through upstream's fallback text")
	fl.BoolVar(&f.stripCR, "strip-cr", false, `drop one "\r" before each "\n" (CRLF files)`)
	return cmd
}

func runTokensCount(ctx context.Context, f *tokensCountFlags, files []string, stdin io.Reader, stdout io.Writer, log *slog.Logger) (err error) {
	if f.tokenizer == "" {
		return errors.New("--tokenizer is required")
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	for _, name := range files {
		if name == "-" {
			continue
		}
		if st, err := os.Stat(name); err != nil {
			return fmt.Errorf("input: %w", err)
		} else if st.IsDir() {
			return fmt.Errorf("input %s is a directory", name)
		}
	}
	dir, err := hfhub.ResolveTokenizer(ctx, f.tokenizer, hfhub.Options{
		CacheDir: f.cacheDir, Offline: f.offline, Revision: f.revision, Log: log,
	})
	if err != nil {
		return fmt.Errorf("--tokenizer: %w", err)
	}
	start := time.Now()
	tok, err := tokenize.LoadDir(dir)
	if err != nil {
		return fmt.Errorf("load tokenizer from %s: %w", dir, err)
	}
	log.Debug("tokenizer loaded", "dir", dir, "identity", tok.Identity(), "ms", time.Since(start).Milliseconds())

	mode := modePlain
	var chat *chattmpl.Counter
	switch {
	case f.chat && f.ids:
		return errors.New("--chat cannot be combined with --ids")
	case f.chat:
		mode = modeChat
		if chat, err = newChatCounter(tok, log); err != nil {
			return err
		}
	case f.jsonl:
		mode = modeJSONL
	}
	w := bufio.NewWriterSize(stdout, 64<<10)
	defer func() {
		if ferr := w.Flush(); ferr != nil && err == nil {
			err = fmt.Errorf("write output: %w", ferr)
		}
	}()
	lc := lineCounter{tok: tok.NewCounter(), chat: chat, mode: mode, f: f, w: w, log: log}
	for _, name := range files {
		if err := lc.countFile(name, stdin); err != nil {
			return err
		}
	}
	return lc.failures()
}

// lineCounter counts the lines of its inputs into w.
type lineCounter struct {
	tok  tokenCounter
	chat *chattmpl.Counter // modeChat
	mode inputMode
	f    *tokensCountFlags
	w    *bufio.Writer
	line []byte // long-line accumulator, reused
	out  []byte // output line, reused

	log          *slog.Logger
	pos          string          // "file:line" of the line being counted, for logs
	payload      []byte          // --chat item payload, reused
	fallbackSeen map[string]bool // --chat fallback reasons already logged

	lines  int      // lines answered
	failed []string // "file:line" of the lines that could not be counted
}

// maxFailedShown bounds the positions the final error lists.
const maxFailedShown = 5

// fail answers a line that cannot be counted: an empty line, or
// {"error": MESSAGE} with --json-out, and a warning naming the line.
func (lc *lineCounter) fail(pos string, err error) error {
	lc.failed = append(lc.failed, pos)
	lc.log.Warn("line not counted", "at", pos, "err", err)
	out := lc.out[:0]
	if lc.f.jsonOut {
		msg := strings.ToValidUTF8(err.Error(), "\uFFFD")
		out = append(out, `{"error": `...)
		out, _ = pyvalue.EncodeJSON(out, pyvalue.Str(msg)) // a valid UTF-8 string always encodes
		out = append(out, '}')
	}
	return lc.writeLine(out)
}

// failures is the error that ends a run with failed lines (nil if none).
func (lc *lineCounter) failures() error {
	if len(lc.failed) == 0 {
		return nil
	}
	shown := lc.failed[:min(len(lc.failed), maxFailedShown)]
	more := ""
	if len(lc.failed) > len(shown) {
		more = ", ..."
	}
	return fmt.Errorf("%d of %d lines could not be counted (%s%s); each has an empty answer (--json-out: an error object)",
		len(lc.failed), lc.lines, strings.Join(shown, ", "), more)
}

func (lc *lineCounter) countFile(name string, stdin io.Reader) error {
	var in io.Reader = stdin
	label := "<stdin>"
	if name != "-" {
		fh, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("input: %w", err)
		}
		defer fh.Close()
		in, label = fh, name
	}
	r := bufio.NewReaderSize(in, 64<<10)
	for n := 1; ; n++ {
		line, ok, err := lc.readLine(r)
		if err != nil {
			return fmt.Errorf("read %s: %w", label, err)
		}
		if !ok {
			return nil
		}
		if lc.f.stripCR {
			line = bytes.TrimSuffix(line, []byte("\r"))
		}
		lc.lines++
		if lc.mode == modeChat {
			lc.pos = fmt.Sprintf("%s:%d", label, n)
			err = lc.emitChat(line)
		} else {
			var text string
			if text, err = lc.lineText(line); err == nil {
				err = lc.emit(text)
			}
		}
		var we *writeError
		switch {
		case errors.As(err, &we):
			return err
		case err != nil:
			if err := lc.fail(fmt.Sprintf("%s:%d", label, n), err); err != nil {
				return err
			}
		}
		// Flush whenever no more input is waiting, so an interactive or
		// piped caller gets each answer as soon as its line is in.
		if r.Buffered() == 0 {
			if err := lc.w.Flush(); err != nil {
				return &writeError{err}
			}
		}
	}
}

// readLine returns the next line without its "\n" (ok false at the end of
// input). The slice is valid until the next call.
func (lc *lineCounter) readLine(r *bufio.Reader) ([]byte, bool, error) {
	chunk, err := r.ReadSlice('\n')
	if err == nil {
		return chunk[:len(chunk)-1], true, nil // fast path: the line fits the buffer
	}
	lc.line = append(lc.line[:0], chunk...)
	for err == bufio.ErrBufferFull {
		chunk, err = r.ReadSlice('\n')
		lc.line = append(lc.line, chunk...)
	}
	switch {
	case err == nil:
		return lc.line[:len(lc.line)-1], true, nil
	case err == io.EOF:
		return lc.line, len(lc.line) > 0, nil
	}
	return nil, false, err
}

// lineText is the text an input line stands for, by mode.
func (lc *lineCounter) lineText(line []byte) (string, error) {
	if !utf8.Valid(line) {
		return "", fmt.Errorf("invalid UTF-8 at byte %d", invalidUTF8At(line))
	}
	switch lc.mode {
	case modeJSONL:
		return jsonlText(line)
	}
	return string(line), nil
}

// jsonlText extracts the "text" string of a JSON object line. Keys match
// exactly (encoding/json's struct matching would also take "TEXT"); a
// duplicated key takes the last value, as Python's json does.
func jsonlText(line []byte) (string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return "", fmt.Errorf(`want a JSON object with a "text" string: %w`, err)
	}
	if obj == nil {
		return "", errors.New(`want a JSON object with a "text" string, got null`)
	}
	raw, ok := obj["text"]
	if !ok {
		return "", errors.New(`no "text" field`)
	}
	if len(raw) == 0 || raw[0] != '"' {
		return "", fmt.Errorf(`"text" is not a string: %.40s`, raw)
	}
	text, _, lone, err := jsonstr.Unquote(nil, []byte(raw))
	if err != nil {
		return "", fmt.Errorf(`"text": %w`, err)
	}
	if lone > 0 {
		return "", errors.New(`"text" has an unpaired surrogate escape (\uD800-\uDFFF): not valid Unicode, which the HF tokenizer rejects`)
	}
	return string(text), nil
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// emit writes the answer for one text.
func (lc *lineCounter) emit(text string) error {
	if !lc.f.ids {
		n, err := lc.tok.CountErr(text)
		if err != nil {
			return fmt.Errorf("tokenize: %w", err)
		}
		return lc.writeCount(n)
	}
	ids, err := lc.tok.Encode(text)
	if err != nil {
		return fmt.Errorf("tokenize: %w", err)
	}
	out := lc.out[:0]
	if lc.f.jsonOut {
		out = append(out, `{"ids": [`...)
	}
	for i, id := range ids {
		if i > 0 {
			if lc.f.jsonOut {
				out = append(out, ", "...)
			} else {
				out = append(out, ' ')
			}
		}
		out = strconv.AppendInt(out, int64(id), 10)
	}
	if lc.f.jsonOut {
		out = append(out, "]}"...)
	}
	return lc.writeLine(out)
}

// writeCount writes one count line: N, or {"count": N} with --json-out.
func (lc *lineCounter) writeCount(n int) error {
	out := lc.out[:0]
	if lc.f.jsonOut {
		out = append(out, `{"count": `...)
	}
	out = strconv.AppendInt(out, int64(n), 10)
	if lc.f.jsonOut {
		out = append(out, '}')
	}
	return lc.writeLine(out)
}

// writeLine writes out and a newline, keeping the buffer for reuse.
func (lc *lineCounter) writeLine(out []byte) error {
	out = append(out, '\n')
	lc.out = out
	if _, err := lc.w.Write(out); err != nil {
		return &writeError{err}
	}
	return nil
}

// writeError is a failure to write the output: it ends the run, unlike an
// input line that cannot be counted.
type writeError struct{ err error }

func (e *writeError) Error() string { return "write output: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }
