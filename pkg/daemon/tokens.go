package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/chattmpl"
	"github.com/mlperf-tools/aggregator/pkg/cpuset"
	"github.com/mlperf-tools/aggregator/pkg/hfhub"
	"github.com/mlperf-tools/aggregator/pkg/shard"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
	"github.com/mlperf-tools/aggregator/pkg/tokqueue"
)

// workerCloseGrace bounds a drain worker's orderly exit before SIGKILL.
const workerCloseGrace = 2 * time.Second

// tokenSetup is what start-up resolved for the token pipeline.
type tokenSetup struct {
	dir      string // local tokenizer directory
	bin      string // shardworker binary
	liveCPUs cpuset.Set
	identity string
}

// setupTokenizer resolves --tokenizer (hfhub, honouring HF_*), loads it
// once to validate it (a refused component fails start-up, naming it),
// and locates the shardworker binary. Every error is a start-up failure.
func setupTokenizer(ctx context.Context, cfg *Config, log *slog.Logger) (*tokenSetup, error) {
	dir, err := hfhub.ResolveTokenizer(ctx, cfg.Tokenizer, hfhub.Options{Log: log})
	if err != nil {
		return nil, fmt.Errorf("--tokenizer: %w", err)
	}
	t0 := time.Now()
	tok, err := tokenize.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--tokenizer %s: load tokenizer from %s: %w", cfg.Tokenizer, dir, err)
	}
	logChatTemplates(log, cfg.Tokenizer, tok.Config())
	bin, err := shard.FindBin(cfg.ShardWorker)
	if err != nil {
		return nil, fmt.Errorf("--tokenizer needs the shardworker binary: %w", err)
	}
	ts := &tokenSetup{dir: dir, bin: bin, identity: tok.Identity()}
	if cfg.LiveCores != "" {
		if ts.liveCPUs, err = cpuset.Parse(cfg.LiveCores); err != nil {
			return nil, fmt.Errorf("--live-cores %q: %w", cfg.LiveCores, err)
		}
	}
	log.Info("tokenizer ready", "tokenizer", cfg.Tokenizer, "dir", dir, "identity", ts.identity,
		"load_ms", time.Since(t0).Milliseconds(), "shardworker", bin)
	return ts, nil
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

// startFunc returns the StartFunc spawning shardworker processes, each
// pinned to the CPUs it is given (none: the daemon's inherited mask).
func (ts *tokenSetup) startFunc(cfg *Config, log *slog.Logger) tokqueue.StartFunc {
	return ShardStart(WorkerSpec{Bin: ts.bin, TokenizerDir: ts.dir, Identity: ts.identity,
		RenderTimeout: cfg.RenderTimeout, RenderMemory: cfg.RenderMemory}, log)
}

// WorkerSpec says how to start shardworkers.
type WorkerSpec struct {
	Bin          string // the shardworker binary
	TokenizerDir string // local directory with tokenizer.json (+ tokenizer_config.json)
	// Identity, when set, is the tokenizer identity every worker must
	// report (tokenize.Tokenizer.Identity of the daemon's own load).
	Identity      string
	RenderTimeout time.Duration // 0: the worker's default
	RenderMemory  int64         // 0: the worker's default
}

// ShardStart returns a StartFunc that spawns shardworker processes for
// spec, each pinned to the CPUs it is given (none: the inherited mask).
// The daemon and replay both count through it, so chat templates are
// rendered only inside workers, under their limits.
func ShardStart(spec WorkerSpec, log *slog.Logger) tokqueue.StartFunc {
	return func(ctx context.Context, cpus []int, procs int) (tokqueue.Worker, error) {
		set := cpuset.Set(cpus)
		w, err := shard.Start(ctx, shard.Config{
			Bin:           spec.Bin,
			TokenizerDir:  spec.TokenizerDir,
			Procs:         procs,
			RenderTimeout: spec.RenderTimeout,
			RenderMemory:  spec.RenderMemory,
			Start:         func(cmd *exec.Cmd) error { return cpuset.StartPinned(cmd, set) },
			Log:           log,
		})
		if err != nil {
			return nil, err
		}
		if h := w.Hello(); spec.Identity != "" && h.Tokenizer != spec.Identity {
			w.Kill()
			return nil, fmt.Errorf("shardworker pid %d loaded tokenizer %s, the daemon %s", w.Pid(), h.Tokenizer, spec.Identity)
		}
		return shardWorker{w}, nil
	}
}

// liveConfig is the live lane's configuration: --tokenizer-workers wide,
// on --live-cores or else the daemon's inherited mask (not pinned).
func (ts *tokenSetup) liveConfig(cfg *Config, log *slog.Logger) tokqueue.LiveConfig {
	var cpus []int
	if len(ts.liveCPUs) > 0 {
		cpus = ts.liveCPUs
	}
	return tokqueue.LiveConfig{Start: ts.startFunc(cfg, log), CPUs: cpus, Procs: cfg.TokenizerWorkers, Log: log}
}

// drainConfig plans the drain: one worker per block of --cores-per-worker
// CPUs of the allowed universe (cgroup-clamped, not the inherited mask).
func (ts *tokenSetup) drainConfig(cfg *Config, log *slog.Logger) tokqueue.DrainConfig {
	universe, err := cpuset.Universe(log)
	if err != nil {
		log.Warn("CPU universe unknown; drain workers run unpinned", "err", err)
	}
	plan := cpuset.Plan(universe, cfg.CoresPerWorker)
	if cfg.DrainWorkers > 0 && len(plan) > cfg.DrainWorkers {
		plan = plan[:cfg.DrainWorkers]
	}
	blocks := make([][]int, len(plan))
	for i, b := range plan {
		blocks[i] = b
	}
	log.Info("drain plan", "universe", universe.String(), "cores_per_worker", cfg.CoresPerWorker, "workers", len(blocks))
	return tokqueue.DrainConfig{Start: ts.startFunc(cfg, log), Blocks: blocks, Log: log}
}

// shardWorker adapts *shard.Worker to tokqueue.Worker.
type shardWorker struct{ w *shard.Worker }

func (s shardWorker) Count(ctx context.Context, texts []string, kinds []chattmpl.Kind) ([]tokqueue.Result, error) {
	res, err := s.w.Count(ctx, texts, kinds)
	if err != nil {
		return nil, err
	}
	out := make([]tokqueue.Result, len(res))
	for i, r := range res {
		out[i] = tokqueue.Result{Count: r.Count, Err: r.Err, Rendered: r.Rendered, Fallback: r.Fallback}
	}
	return out, nil
}

func (s shardWorker) Close() error { return s.w.Close(workerCloseGrace) }
func (s shardWorker) Kill()        { s.w.Kill() }
func (s shardWorker) Pid() int     { return s.w.Pid() }
