// Command shardworker counts tokens for the aggregator daemon in a separate
// process: it loads one tokenizer, announces itself with a hello frame and
// answers count batches on its stdin/stdout with the length-prefixed
// msgpack protocol of package shard (docs/PROTOCOL.md).
//
//	shardworker --tokenizer DIR [--procs N] [--log-level LEVEL]
//
// --procs sets GOMAXPROCS, the number of goroutines counting one batch
// (default: the CPUs of its affinity mask). SIGINT is ignored (the daemon
// decides when workers end); a shutdown frame or the end of stdin makes it
// exit 0. Logs go to stderr; stdout carries protocol frames only: fd 1 is
// pointed at stderr at start-up and the frames go to a private copy of the
// original stdout, so a stray print in any dependency cannot corrupt the
// stream.
//
// SHARDWORKER_TEST_HOOKS=1 enables test-only behaviour (testhooks.go);
// never set it in production.
package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/shard"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
)

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
	if err := fs.Parse(args); err != nil {
		return fatal("usage: shardworker --tokenizer DIR [--procs N] [--log-level LEVEL]: %v", err)
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
	hello := shard.Hello{PID: os.Getpid(), Tokenizer: tok.Identity(), Procs: n, CPUs: affinity()}
	log.Info("ready", "tokenizer", hello.Tokenizer, "dir", *dir, "procs", n, "cpus", hello.CPUs,
		"load_ms", time.Since(t0).Milliseconds())

	err = shard.Serve(in, out, shard.ServeConfig{
		Hello:      hello,
		NewCounter: func() shard.ItemCounter { return hooks.wrap(tok.NewCounter()) },
		Procs:      n,
		Log:        log,
	})
	if err != nil {
		log.Error("serving", "err", err)
		return 1
	}
	return 0
}
