// Command shardworker counts tokens for the aggregator daemon in a separate
// process: it loads one tokenizer, announces itself with a hello frame and
// answers count batches on its stdin/stdout with the length-prefixed
// msgpack protocol of package shard (docs/PROTOCOL.md). Chat items
// (assistant messages, structured prompts) are rendered through the
// model's chat template (pkg/chattmpl) and the rendered text counted.
//
//	shardworker --tokenizer DIR [--procs N] [--log-level LEVEL]
//	            [--render-timeout 10s] [--render-memory 2GiB]
//
// --procs sets GOMAXPROCS, the number of goroutines counting one batch
// (default: the CPUs of its affinity mask).
//
// Chat templates can be hostile and the Jinja engine bounds nothing, so
// renders are bounded here (shard.Watchdog): a chat item running longer
// than --render-timeout, or the process growing more than --render-memory
// (a plain number of bytes, or 512MiB, 2GiB, ...) above its level after
// start-up while renders run, makes the worker log the reason as an ERROR
// and exit with status 3 at once, without answering. The goroutine stack
// limit is lowered to 128 MiB so a recursive macro dies quickly (Go's
// fatal "stack overflow", exit status 2). The start-up renders of the
// chat-template baseline are under the same watchdog.
//
// SIGINT is ignored (the daemon
// decides when workers end); a shutdown frame or the end of stdin makes it
// exit 0. Logs go to stderr; stdout carries protocol frames only: fd 1 is
// pointed at stderr at start-up and the frames go to a private copy of the
// original stdout, so a stray print in any dependency cannot corrupt the
// stream.
//
// A binary built with -tags testhooks has test-only behaviour
// (testhooks.go), enabled by SHARDWORKER_TEST_HOOKS=1; a normal build has
// none.
package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/chattmpl"
	"github.com/mlperf-tools/aggregator/pkg/shard"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// maxStack is the goroutine stack limit (Go's default is 1 GB): a
// recursive macro in a chat template overflows it within a fraction of a
// second, a fatal error that ends the worker.
const maxStack = 128 << 20

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	signal.Ignore(syscall.SIGINT)
	in, out, err := guardStdio()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err != nil {
		log.Error("redirecting stdout", "err", err)
		return 1
	}
	fatal := func(format string, a ...any) int {
		msg := fmt.Sprintf(format, a...)
		log.Error(msg)
		if buf, err := shard.AppendFrame(nil, &shard.Frame{Type: shard.TypeFatal, Error: msg}); err == nil {
			_, _ = out.Write(buf)
		}
		return 1
	}

	fs := flag.NewFlagSet("shardworker", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("tokenizer", "", "local directory holding tokenizer.json (required)")
	procs := fs.Int("procs", 0, "GOMAXPROCS: goroutines counting a batch (default: CPUs in the affinity mask)")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	renderTimeout := fs.Duration("render-timeout", shard.DefaultRenderTimeout, "wall-clock limit of one chat item; beyond it the worker exits 3")
	renderMemory := shard.ByteSize(shard.DefaultRenderMemory)
	fs.Var(&renderMemory, "render-memory", "bytes the process may grow above its start-up level while chat items render (512MiB, 2GiB, ...); beyond it the worker exits 3")
	if err := fs.Parse(args); err != nil {
		return fatal("usage: shardworker --tokenizer DIR [--procs N] [--log-level LEVEL] [--render-timeout D] [--render-memory BYTES]: %v", err)
	}
	if fs.NArg() > 0 {
		return fatal("unexpected arguments %q", fs.Args())
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fatal("--log-level: %v", err)
	}
	log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	if *dir == "" {
		return fatal("--tokenizer DIR is required")
	}
	if *procs < 0 {
		return fatal("--procs %d: must be ≥ 1 (0 = the CPUs of the affinity mask)", *procs)
	}
	if *renderTimeout <= 0 {
		return fatal("--render-timeout %v: must be positive", *renderTimeout)
	}
	debug.SetMaxStack(maxStack)
	n := *procs
	if n == 0 {
		n = runtime.NumCPU() // Linux: the CPUs of the affinity mask at start
	}
	runtime.GOMAXPROCS(n)

	hooks := testHooksFromEnv(log)
	hooks.atStart()
	t0 := time.Now()
	tok, err := tokenize.LoadDir(*dir)
	if err != nil {
		return fatal("loading tokenizer: %v", err)
	}
	hooks.atStart()
	loadMS := time.Since(t0).Milliseconds()

	// The watchdog's memory level is taken now; the counters' baseline
	// renders (a downloaded template can be hostile too) run under it.
	wd, err := shard.NewWatchdog(shard.Limits{Timeout: *renderTimeout, Memory: int64(renderMemory)}, n, log)
	if err != nil {
		return fatal("%v", err)
	}
	t1 := time.Now()
	counters := make([]shard.ItemCounter, n)
	var chat shard.ChatInfo
	for i := range counters {
		wd.Begin(i, 0, shard.ItemBaseline, tokwork.Text)
		c, err := chattmpl.NewCounter(tok)
		wd.End(i)
		if i == 0 {
			if err != nil {
				// The counter still counts texts; chat items fall back.
				log.Warn("chat templates unusable: chat items will count their fallback text", "err", err)
			}
			chat = chatInfo(tok, c, err)
		}
		counters[i] = hooks.wrap(c)
	}
	hello := shard.Hello{PID: os.Getpid(), Tokenizer: tok.Identity(), Procs: n, CPUs: affinity(), Chat: chat}
	log.Info("ready", "tokenizer", hello.Tokenizer, "dir", *dir, "procs", n, "cpus", hello.CPUs,
		"load_ms", loadMS, "chat_template", chat.Template, "chat_prefix", chat.Prefix, "chat_baseline", chat.Baseline,
		"chat_error", chat.Error, "chat_ms", time.Since(t1).Milliseconds(),
		"render_timeout", *renderTimeout, "render_memory", renderMemory.String(), "memory_base", shard.FormatBytes(wd.Base()))

	err = shard.Serve(in, out, shard.ServeConfig{
		Hello: hello,
		NewCounter: func() shard.ItemCounter {
			c, _ := chattmpl.NewCounter(tok) // its error was logged at start-up
			return hooks.wrap(c)
		},
		Counters: counters,
		Procs:    n,
		Watchdog: wd,
		Log:      log,
	})
	if err != nil {
		log.Error("serving", "err", err)
		return 1
	}
	return 0
}

// chatInfo is the hello's chat-template set-up of c (made for tok, with
// NewCounter's error newErr).
func chatInfo(tok *tokenize.Tokenizer, c *chattmpl.Counter, newErr error) shard.ChatInfo {
	prefix, baseline, err := c.Baseline()
	info := shard.ChatInfo{Prefix: prefix, Baseline: baseline}
	if cfg := tok.Config(); cfg != nil {
		info.Template = cfg.HasChatTemplate
	}
	if err == nil {
		err = newErr
	}
	if err != nil {
		info.Error = err.Error()
	}
	return info
}
