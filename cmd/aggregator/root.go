package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlperf-tools/aggregator/pkg/cpuset"
	"github.com/mlperf-tools/aggregator/pkg/daemon"
	"github.com/mlperf-tools/aggregator/pkg/metrics"
	"github.com/mlperf-tools/aggregator/pkg/progress"
	"github.com/mlperf-tools/aggregator/pkg/shard"
)

// PrometheusAddrEnv, when set, is the default of --prometheus-addr: the
// benchmark launches the daemon with its own argument list, so this is how
// a user turns the endpoint on for benchmark runs.
const PrometheusAddrEnv = "AGGREGATOR_PROMETHEUS_ADDR"

// logFlags are the logging flags shared by every subcommand.
type logFlags struct {
	format string
	level  string
}

func (f *logFlags) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.format, "log-format", "text", "log format: text or json (logs go to stderr)")
	cmd.PersistentFlags().StringVar(&f.level, "log-level", "info", "log level: debug, info, warn or error")
}

// logger builds the slog logger the flags describe, writing to w.
func (f *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(f.level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", f.level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(f.format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", f.format)
}

// daemonFlags are the flags of UPSTREAM.md §1, with upstream's names and
// defaults.
type daemonFlags struct {
	socketDir, socketName, metricsSocket, metricsOutputDir string
	publishInterval, drainTimeout                          float64
	hdrSigFigs, nBuckets, tokenizerWorkers                 int
	tokenizer, readinessPath                               string
	shardWorker, liveCores                                 string
	renderMemory                                           shard.ByteSize
	renderTimeout                                          time.Duration
	prometheusAddr                                         string
	prometheusLinger, progressInterval                     time.Duration
	coresPerWorker, drainWorkers                           int
	readinessID                                            int64
	streaming, earlyStopping                               bool
}

func (f *daemonFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.socketDir, "socket-dir", "", "directory holding the IPC socket files (required)")
	fl.StringVar(&f.socketName, "socket-name", "", "event PUB socket to SUB-connect: ipc://DIR/NAME (required)")
	fl.StringVar(&f.metricsSocket, "metrics-socket", "", "snapshot PUB socket to bind: ipc://DIR/NAME (required)")
	fl.StringVar(&f.metricsOutputDir, "metrics-output-dir", "", "existing directory for final_snapshot.json and .ready (required)")
	fl.Float64Var(&f.publishInterval, "publish-interval", daemon.DefaultPublishInterval.Seconds(), "seconds between live snapshots; 0 turns live snapshots off (the final snapshot is still published)")
	fl.Float64Var(&f.drainTimeout, "drain-timeout", 0, "seconds allowed for the end-of-run tokenize drain; omitted = unlimited, 0 = no drain (queued items stay pending)")
	fl.IntVar(&f.hdrSigFigs, "hdr-sig-figs", metrics.DefaultSigFigs, "HDR histogram significant figures of the live view")
	fl.IntVar(&f.nBuckets, "n-histogram-buckets", metrics.DefaultBuckets, "histogram buckets per series")
	fl.StringVar(&f.tokenizer, "tokenizer", "", "HF model id or local directory for text/chat token metrics; unset = pre-tokenized ISL only")
	fl.IntVar(&f.tokenizerWorkers, "tokenizer-workers", daemon.DefaultTokenizerWorkers, "width of the live (mid-run) token lane; 0 = defer all tokenizing to the drain")
	fl.StringVar(&f.liveCores, "live-cores", "", "CPU list for the live token lane (e.g. 2-3); default: the daemon's inherited CPU mask")
	fl.DurationVar(&f.renderTimeout, "render-timeout", shard.DefaultRenderTimeout, "wall-clock limit of one chat-template render in a shardworker; a render over it kills its worker and the item stays pending")
	f.renderMemory = shard.DefaultRenderMemory
	fl.Var(&f.renderMemory, "render-memory", "memory a shardworker may grow by while it renders chat templates (bytes, or e.g. 512MiB, 2GiB); over it the worker is killed and the item stays pending")
	fl.StringVar(&f.shardWorker, "shardworker", "", "path of the shardworker binary (default: next to this executable, then $PATH)")
	fl.IntVar(&f.coresPerWorker, "cores-per-worker", cpuset.DefaultPerBlock, "CPUs per drain worker block")
	_ = fl.MarkHidden("shardworker")
	fl.IntVar(&f.drainWorkers, "drain-workers", 0, "cap on drain workers (0 = one per block)")
	_ = fl.MarkHidden("cores-per-worker")
	_ = fl.MarkHidden("drain-workers")
	fl.BoolVar(&f.streaming, "streaming", false, "also register ttft_ns, chunk_delta_ns and tpot_ns")
	fl.BoolVar(&f.earlyStopping, "early-stopping", false, "add early-stopping estimates to tail-latency series in the final snapshot")
	fl.StringVar(&f.readinessPath, "readiness-path", "", "after start-up, PUSH-connect to ipc://DIR/PATH and send the readiness id")
	fl.Int64Var(&f.readinessID, "readiness-id", 0, "identity sent in the readiness signal")
	fl.StringVar(&f.prometheusAddr, "prometheus-addr", os.Getenv(PrometheusAddrEnv), "serve Prometheus metrics on HOST:PORT at /metrics (default $"+PrometheusAddrEnv+", else off); an empty host (:9464) binds 127.0.0.1 only, 0.0.0.0:9464 all interfaces")
	fl.DurationVar(&f.prometheusLinger, "prometheus-linger", 0, "after the final snapshot, wait up to this long for one scrape of the final numbers before exiting")
	_ = fl.MarkHidden("prometheus-linger")
	fl.DurationVar(&f.progressInterval, "progress-interval", 0, "interval of the drain's progress log lines when stderr is not a terminal (0 = 1s)")
	_ = fl.MarkHidden("progress-interval")
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// drainBudget reads --drain-timeout as upstream #409 does: omitted (or
// infinite) = unlimited (nil), 0 = no drain, > 0 = seconds. Older
// benchmarks always passed 0.0 meaning unlimited; see the README.
func (f *daemonFlags) drainBudget(cmd *cobra.Command) (*time.Duration, error) {
	if !cmd.Flags().Changed("drain-timeout") || math.IsInf(f.drainTimeout, 1) {
		return nil, nil
	}
	if math.IsNaN(f.drainTimeout) || f.drainTimeout < 0 {
		return nil, fmt.Errorf("--drain-timeout must be >= 0 (0 = no drain; omit the flag for no limit), got %v", f.drainTimeout)
	}
	d := seconds(f.drainTimeout)
	return &d, nil
}

func (f *daemonFlags) config() daemon.Config {
	return daemon.Config{
		SocketDir:        f.socketDir,
		SocketName:       f.socketName,
		MetricsSocket:    f.metricsSocket,
		MetricsOutputDir: f.metricsOutputDir,
		PublishInterval:  seconds(f.publishInterval),
		HDRSigFigs:       f.hdrSigFigs,
		HistogramBuckets: f.nBuckets,
		Tokenizer:        f.tokenizer,
		TokenizerWorkers: f.tokenizerWorkers,
		ShardWorker:      f.shardWorker,
		CoresPerWorker:   f.coresPerWorker,
		DrainWorkers:     f.drainWorkers,
		LiveCores:        f.liveCores,
		RenderTimeout:    f.renderTimeout,
		RenderMemory:     int64(f.renderMemory),
		Streaming:        f.streaming,
		EarlyStopping:    f.earlyStopping,
		ReadinessPath:    f.readinessPath,
		ReadinessID:      f.readinessID,
		PrometheusAddr:   f.prometheusAddr,
		PrometheusLinger: f.prometheusLinger,
		ProgressInterval: f.progressInterval,
	}
}

func newRootCmd() *cobra.Command {
	var lf logFlags
	var df daemonFlags
	cmd := &cobra.Command{
		Use:   "aggregator --socket-dir DIR --socket-name EV --metrics-socket MET --metrics-output-dir OUT [flags]",
		Short: "Metrics aggregator daemon for the MLCommons endpoints benchmark",
		Long: `aggregator subscribes to the benchmark's sample events over ZeroMQ, folds
them into counters and latency/token series, publishes live snapshots on its
own PUB socket and writes an exact final_snapshot.json when the run ends.
It is a drop-in for the benchmark's Python metrics-aggregator subprocess.`,
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// On a terminal the drain's progress bar stays under the log
			// lines, which go through it.
			var bar *progress.Line
			logOut := cmd.ErrOrStderr()
			if logOut == os.Stderr && stderrIsTerminal() {
				bar = progress.NewLine(os.Stderr)
				logOut = bar
			}
			log, err := lf.logger(logOut)
			if err != nil {
				return err
			}
			if pi := df.publishInterval; math.IsNaN(pi) || math.IsInf(pi, 0) {
				return fmt.Errorf("--publish-interval must be a finite number of seconds, got %v", pi)
			}
			cfg := df.config()
			if cfg.DrainTimeout, err = df.drainBudget(cmd); err != nil {
				return err
			}
			cfg.Progress = bar
			return daemon.Run(context.Background(), cfg, log)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	lf.register(cmd)
	df.register(cmd)
	cmd.AddCommand(newReplayCmd(&lf), newDemoCmd(&lf), newTokensCmd(&lf), newWatchCmd(&lf), newReportCmd(&lf))
	return cmd
}

// stderrIsTerminal reports whether stderr is a character device.
func stderrIsTerminal() bool {
	st, err := os.Stderr.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
