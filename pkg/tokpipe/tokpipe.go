// Package tokpipe builds the token pipeline, the one way the daemon and
// replay set it up: resolve --tokenizer (a local directory, the Hugging
// Face cache, or the hub), load it once to validate it (a refused
// component fails start-up, naming it), find the shardworker binary, and
// hand out the pieces: the StartFunc that spawns workers pinned to their
// CPUs, the queue the aggregator's triggers fill, and the live-lane and
// drain configurations.
//
// It renders nothing itself (chat templates render only inside workers),
// so it does not depend on the template engine; a caller that may count in
// its own process (replay without a shardworker) passes that StartFunc in.
package tokpipe

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/cpuset"
	"github.com/mlperf-tools/aggregator/pkg/hfhub"
	"github.com/mlperf-tools/aggregator/pkg/shard"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
	"github.com/mlperf-tools/aggregator/pkg/tokqueue"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// Options say how to build the pipeline.
type Options struct {
	// Tokenizer is --tokenizer: a model id or a local directory.
	Tokenizer string
	// Hub tunes the model id resolution (its Log defaults to Log).
	Hub hfhub.Options
	// ShardWorker is the shardworker binary ("" = shard.FindBin's search).
	ShardWorker string
	// InProcess, when set, is used to count in this process when no
	// shardworker binary is found (replay); nil makes a missing binary a
	// start-up error (the daemon).
	InProcess func(*tokenize.Tokenizer) tokwork.StartFunc
	// RenderTimeout and RenderMemory are the workers' limits on chat
	// template renders (0 = the worker's defaults).
	RenderTimeout time.Duration
	RenderMemory  int64
	// LiveCores is the CPU list of the live lane ("" = inherited mask).
	LiveCores string
	// CoresPerWorker is the drain's CPU block size (0 = cpuset's default);
	// DrainWorkers caps the drain's workers (0 = one per block).
	CoresPerWorker, DrainWorkers int
	// Log receives start-up and worker diagnostics; nil = slog.Default().
	Log *slog.Logger
}

// Pipeline is a validated token pipeline, ready to start workers.
type Pipeline struct {
	// Dir is the local tokenizer directory, Identity the loaded
	// tokenizer's (every worker must report the same), Bin the
	// shardworker binary ("" when counting in process).
	Dir, Identity, Bin string
	// Start starts one worker.
	Start tokwork.StartFunc

	opts     Options
	log      *slog.Logger
	liveCPUs cpuset.Set
	queue    *tokqueue.Queue
}

// Open resolves, loads and validates the tokenizer and finds the worker
// binary. Every error is a start-up failure naming its flag.
func Open(ctx context.Context, opts Options) (*Pipeline, error) {
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	hub := opts.Hub
	if hub.Log == nil {
		hub.Log = log
	}
	dir, err := hfhub.ResolveTokenizer(ctx, opts.Tokenizer, hub)
	if err != nil {
		return nil, fmt.Errorf("--tokenizer: %w", err)
	}
	t0 := time.Now()
	tok, err := tokenize.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--tokenizer %s: load tokenizer from %s: %w", opts.Tokenizer, dir, err)
	}
	logChatTemplates(log, opts.Tokenizer, tok.Config())
	p := &Pipeline{Dir: dir, Identity: tok.Identity(), opts: opts, log: log}
	if opts.LiveCores != "" {
		if p.liveCPUs, err = cpuset.Parse(opts.LiveCores); err != nil {
			return nil, fmt.Errorf("--live-cores %q: %w", opts.LiveCores, err)
		}
	}
	switch bin, err := shard.FindBin(opts.ShardWorker); {
	case err == nil:
		p.Bin = bin
		p.Start = p.shardStart()
	case opts.InProcess != nil:
		log.Warn("no shardworker binary; counting in this process, where chat templates render without time or memory limits", "err", err)
		p.Start = opts.InProcess(tok)
	default:
		return nil, fmt.Errorf("--tokenizer needs the shardworker binary: %w", err)
	}
	log.Info("tokenizer ready", "tokenizer", opts.Tokenizer, "dir", dir, "identity", p.Identity,
		"load_ms", time.Since(t0).Milliseconds(), "shardworker", p.Bin)
	return p, nil
}

// shardStart is the StartFunc spawning shardworker processes, each pinned
// to the CPUs it is given (none: the inherited mask) before it runs.
func (p *Pipeline) shardStart() tokwork.StartFunc {
	return func(ctx context.Context, cpus []int, procs int) (tokwork.Worker, error) {
		set := cpuset.Set(cpus)
		w, err := shard.Start(ctx, shard.Config{
			Bin:           p.Bin,
			TokenizerDir:  p.Dir,
			Procs:         procs,
			RenderTimeout: p.opts.RenderTimeout,
			RenderMemory:  p.opts.RenderMemory,
			Start:         func(cmd *exec.Cmd) error { return cpuset.StartPinned(cmd, set) },
			Log:           p.log,
		})
		if err != nil {
			return nil, err
		}
		if h := w.Hello(); h.Tokenizer != p.Identity {
			w.Kill()
			return nil, fmt.Errorf("shardworker pid %d loaded tokenizer %s, expected %s", w.Pid(), h.Tokenizer, p.Identity)
		}
		return w, nil
	}
}

// NewQueue makes the pipeline's queue, recording into rec; it is the
// aggregator's Config.NewTokens, so the aggregator hands itself in once it
// exists. Queue returns it afterwards.
func (p *Pipeline) NewQueue(rec tokwork.Recorder) tokwork.Sink {
	p.queue = tokqueue.New(rec, p.log)
	return p.queue
}

// Queue is the queue NewQueue made (nil before, and for a nil Pipeline:
// no tokenizer).
func (p *Pipeline) Queue() *tokqueue.Queue {
	if p == nil {
		return nil
	}
	return p.queue
}

// LiveConfig is the live lane's configuration: procs wide, on LiveCores or
// else the caller's inherited mask (not pinned).
func (p *Pipeline) LiveConfig(procs int) tokqueue.LiveConfig {
	var cpus []int
	if len(p.liveCPUs) > 0 {
		cpus = p.liveCPUs
	}
	return tokqueue.LiveConfig{Start: p.Start, CPUs: cpus, Procs: procs, Log: p.log}
}

// DrainConfig plans the drain: one worker per block of CoresPerWorker CPUs
// of the allowed universe (cgroup-clamped, not the inherited mask), capped
// at DrainWorkers.
func (p *Pipeline) DrainConfig() tokqueue.DrainConfig {
	universe, err := cpuset.Universe(p.log)
	if err != nil {
		p.log.Warn("CPU universe unknown; drain workers run unpinned", "err", err)
	}
	plan := cpuset.Plan(universe, p.opts.CoresPerWorker)
	if n := p.opts.DrainWorkers; n > 0 && len(plan) > n {
		plan = plan[:n]
	}
	blocks := make([][]int, len(plan))
	for i, b := range plan {
		blocks[i] = b
	}
	p.log.Info("drain plan", "universe", universe.String(), "cores_per_worker", p.opts.CoresPerWorker, "workers", len(blocks))
	return tokqueue.DrainConfig{Start: p.Start, Blocks: blocks, Log: p.log}
}

// logChatTemplates says at start-up which chat templates the workers will
// render (tokenize.LoadDir's precedence: template files over
// tokenizer_config.json), or that there are none.
func logChatTemplates(log *slog.Logger, name string, c *tokenize.Config) {
	switch {
	case !c.HasChatTemplate:
		log.Info("the tokenizer has no chat template (no chat_template in tokenizer_config.json, no "+
			tokenize.ChatTemplateFile+", no "+tokenize.ChatTemplateDir+"/*.jinja): structured inputs "+
			"(messages, tool calls) are counted through upstream's fallback texts unless a request brings its own template",
			"tokenizer", name)
	case c.ChatTemplates != nil:
		names := make([]string, 0, len(c.ChatTemplates))
		for n := range c.ChatTemplates {
			names = append(names, n)
		}
		slices.Sort(names)
		log.Info("chat templates", "tokenizer", name, "from", c.ChatTemplateSource, "names", strings.Join(names, ","))
	default:
		log.Info("chat template", "tokenizer", name, "from", c.ChatTemplateSource)
	}
}
