// Package daemon runs the aggregator service: it subscribes to the load
// generator's event PUB socket, folds every event on one owner goroutine,
// publishes live snapshots, and writes the final snapshot when the run ends
// (ENDED) or is interrupted (SIGTERM).
//
// Ownership: the receive goroutine owns the SUB socket and hands whole
// frames over a channel; the owner goroutine (Run's caller) owns the
// decoder, the Aggregator (table + registry) and the snapshot buffers; the
// transport.Publisher owns its socket and send queue.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/mlperf-tools/aggregator/internal/testhook"
	"github.com/mlperf-tools/aggregator/pkg/aggregator"
	"github.com/mlperf-tools/aggregator/pkg/cpuset"
	"github.com/mlperf-tools/aggregator/pkg/metrics"
	"github.com/mlperf-tools/aggregator/pkg/progress"
	"github.com/mlperf-tools/aggregator/pkg/promexport"
	"github.com/mlperf-tools/aggregator/pkg/tokpipe"
	"github.com/mlperf-tools/aggregator/pkg/tokqueue"
	"github.com/mlperf-tools/aggregator/pkg/transport"
)

// Config is the daemon's configuration: the command line of UPSTREAM.md §1.
type Config struct {
	SocketDir        string
	SocketName       string
	MetricsSocket    string
	MetricsOutputDir string
	// PublishInterval is the live snapshot cadence (--publish-interval);
	// 0 turns live snapshots off, the final one is still published.
	PublishInterval time.Duration
	// DrainTimeout is the end-of-run drain's budget (--drain-timeout, as
	// upstream #409 reads it): nil = unlimited (the flag omitted), 0 = no
	// drain at all (every queued item stays pending, no worker starts),
	// > 0 = the budget.
	DrainTimeout     *time.Duration
	HDRSigFigs       int
	HistogramBuckets int
	Tokenizer        string
	TokenizerWorkers int
	// ShardWorker is the shardworker binary ("" = shard.FindBin's search).
	ShardWorker string
	// CoresPerWorker is the CPU block size of the drain (0 = 8).
	CoresPerWorker int
	// DrainWorkers caps the number of drain workers (0 = one per block);
	// for scaling measurements.
	DrainWorkers int
	// LiveCores is the CPU list of the live lane ("" = the daemon's
	// inherited mask).
	LiveCores string
	// RenderTimeout and RenderMemory (bytes) are the shardworkers' limits
	// on chat-template renders (0 = the worker's defaults).
	RenderTimeout time.Duration
	RenderMemory  int64
	Streaming     bool
	EarlyStopping bool
	ReadinessPath string
	ReadinessID   int64
	// PublisherLinger bounds how long Close waits to deliver the final
	// snapshot frame to live readers.
	PublisherLinger time.Duration
	// PrometheusAddr, when set, serves GET /metrics there (HOST:PORT; an
	// empty host is 127.0.0.1, see promexport.ResolveAddr).
	PrometheusAddr string
	// Progress, when set (stderr is a terminal), shows the drain's
	// progress bar in place under the log lines (which must go through it
	// too); nil logs a progress line per second instead.
	Progress *progress.Line
	// ProgressInterval is the interval of those log lines (0 = a second).
	ProgressInterval time.Duration
	// PrometheusLinger: after the final snapshot, how long the endpoint
	// waits for one scrape of the final numbers before shutting down
	// (0 = shut down at once).
	PrometheusLinger time.Duration
}

// Defaults of the command line (UPSTREAM.md §1 and §7).
const (
	DefaultPublishInterval  = 250 * time.Millisecond
	DefaultTokenizerWorkers = 4 // upstream #328
)

// ReadyMarker is touched in MetricsOutputDir once signal handlers are
// installed.
const ReadyMarker = ".ready"

// Validate checks cfg the way upstream's CLI does, with one clear error.
func (c *Config) Validate() error {
	switch {
	case c.SocketDir == "":
		return errors.New("--socket-dir is required")
	case c.SocketName == "":
		return errors.New("--socket-name is required")
	case c.MetricsSocket == "":
		return errors.New("--metrics-socket is required")
	case c.MetricsOutputDir == "":
		return errors.New("--metrics-output-dir is required")
	case c.PublishInterval < 0:
		return fmt.Errorf("--publish-interval must be >= 0 (0 turns live snapshots off), got %v", c.PublishInterval.Seconds())
	case c.DrainTimeout != nil && *c.DrainTimeout < 0:
		return fmt.Errorf("--drain-timeout must be >= 0 (0 = no drain; omit the flag for no limit), got %v", c.DrainTimeout.Seconds())
	case c.HDRSigFigs < 1 || c.HDRSigFigs > 5:
		return fmt.Errorf("--hdr-sig-figs must be between 1 and 5, got %d", c.HDRSigFigs)
	case c.HistogramBuckets < 1:
		return fmt.Errorf("--n-histogram-buckets must be >= 1, got %d", c.HistogramBuckets)
	case c.TokenizerWorkers < 0:
		return fmt.Errorf("--tokenizer-workers must be >= 0, got %d", c.TokenizerWorkers)
	case c.CoresPerWorker < 0:
		return fmt.Errorf("--cores-per-worker must be >= 0, got %d", c.CoresPerWorker)
	case c.DrainWorkers < 0:
		return fmt.Errorf("--drain-workers must be >= 0, got %d", c.DrainWorkers)
	case c.RenderTimeout < 0:
		return fmt.Errorf("--render-timeout must be >= 0, got %v", c.RenderTimeout)
	case c.PrometheusLinger < 0:
		return fmt.Errorf("--prometheus-linger must be >= 0, got %v", c.PrometheusLinger)
	}
	if c.PrometheusAddr != "" {
		if _, err := promexport.ResolveAddr(c.PrometheusAddr); err != nil {
			return fmt.Errorf("--prometheus-addr %q: %w", c.PrometheusAddr, err)
		}
	}
	if c.RenderMemory < 0 {
		return fmt.Errorf("--render-memory must be positive, got %d bytes", c.RenderMemory)
	}
	st, err := os.Stat(c.MetricsOutputDir)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("--metrics-output-dir %s does not exist or is not a directory; the parent process must create it before launching the aggregator", c.MetricsOutputDir)
	}
	return nil
}

// readyWaitForPublisher bounds how long readiness waits for the event
// subscription to be established.
const readyWaitForPublisher = 2 * time.Second

// frameQueue is the depth of the receive → owner hand-off, in frames
// (a batch frame carries up to 1000 events); the subscriber queues more
// behind it, and its buffer free list is sized for both.
const frameQueue = 8

// Run runs the daemon until the final snapshot is written, then returns
// nil; it returns an error only when start-up fails. ctx cancellation is
// treated like SIGTERM.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.PublisherLinger == 0 {
		cfg.PublisherLinger = 2 * time.Second
	}
	if cfg.CoresPerWorker == 0 {
		cfg.CoresPerWorker = cpuset.DefaultPerBlock
	}
	// The metrics endpoint binds first: a port in use fails start-up fast.
	// It shuts down after the final snapshot (deferred, bounded).
	var exp *promexport.Exporter
	if cfg.PrometheusAddr != "" {
		var err error
		if exp, err = promexport.Start(cfg.PrometheusAddr, cfg.runInfo(), log); err != nil {
			return fmt.Errorf("--prometheus-addr %s: %w", cfg.PrometheusAddr, err)
		}
		log.Info("prometheus endpoint", "addr", exp.Addr(), "path", promexport.Path)
	}
	started := false // past start-up: the shutdown below closes exp
	defer func() {
		if !started {
			exp.Close(0)
		}
	}()
	var es *metrics.EarlyStoppingSpec
	if cfg.EarlyStopping {
		es = metrics.DefaultEarlyStoppingSpec()
	}
	// The token pipeline is validated before readiness: a bad tokenizer
	// or a missing worker binary is a start-up failure (one FATAL line).
	acfg := aggregator.Config{
		Streaming:     cfg.Streaming,
		SigFigs:       cfg.HDRSigFigs,
		Buckets:       cfg.HistogramBuckets,
		EarlyStopping: es,
		Log:           log,
	}
	var pipe *tokpipe.Pipeline
	if cfg.Tokenizer != "" {
		var err error
		pipe, err = tokpipe.Open(ctx, tokpipe.Options{
			Tokenizer: cfg.Tokenizer, ShardWorker: cfg.ShardWorker,
			RenderTimeout: cfg.RenderTimeout, RenderMemory: cfg.RenderMemory,
			LiveCores: cfg.LiveCores, CoresPerWorker: cfg.CoresPerWorker, DrainWorkers: cfg.DrainWorkers,
			Log: log,
		})
		if err != nil {
			return err
		}
		acfg.NewTokens = pipe.NewQueue
	}
	agg, err := aggregator.New(acfg)
	if err != nil {
		return err
	}

	// Signal handlers first: SIGINT is ignored (the parent drives shutdown
	// through ENDED), SIGTERM writes an INTERRUPTED final snapshot. They
	// stay installed until the process exits (no signal.Stop): a SIGTERM
	// after the final snapshot must end the process with status 0, never
	// kill it with the default action.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)

	pub, err := transport.NewPublisher(transport.IPCEndpoint(cfg.SocketDir, cfg.MetricsSocket), log)
	if err != nil {
		return fmt.Errorf("bind metrics socket: %w", err)
	}
	subCtx, cancelSub := context.WithCancel(context.Background())
	defer cancelSub()
	sub, err := transport.NewSubscriber(subCtx, transport.IPCEndpoint(cfg.SocketDir, cfg.SocketName), log)
	if err != nil {
		pub.Close(0)
		return fmt.Errorf("subscribe to events: %w", err)
	}

	readyFile := filepath.Join(cfg.MetricsOutputDir, ReadyMarker)
	if err := touch(readyFile); err != nil {
		log.Warn("could not touch ready marker", "path", readyFile, "err", err)
	}
	if cfg.ReadinessPath != "" {
		go func() {
			// Give the subscription a moment to reach the publisher so the
			// benchmark's first events are not lost to ZeroMQ's slow-joiner
			// window; signal anyway if the publisher is not there yet.
			select {
			case <-sub.Connected():
			case <-time.After(readyWaitForPublisher):
				log.Warn("event publisher not reachable yet; signalling readiness anyway", "socket", cfg.SocketName)
			case <-subCtx.Done():
			}
			ep := transport.IPCEndpoint(cfg.SocketDir, cfg.ReadinessPath)
			if err := transport.SendReady(subCtx, ep, cfg.ReadinessID, transport.ReadyLinger); err != nil {
				log.Error("readiness signal failed", "endpoint", ep, "err", err)
			} else {
				log.Debug("readiness signal sent", "endpoint", ep, "id", cfg.ReadinessID)
			}
		}()
	}

	frames := make(chan []byte, frameQueue)
	done := make(chan struct{})
	defer close(done)
	go receive(sub, frames, done, log)

	o := &owner{cfg: cfg, log: log, agg: agg, pub: pub, release: sub.Release, tokens: pipe, queue: pipe.Queue(),
		results: make(chan tokqueue.Outcome, 64), exp: exp, sub: sub}
	started = true
	o.loop(ctx, frames, sigs)
	shutdown(sigs, log, func() {
		cancelSub()
		sub.Close()
		if err := pub.Close(cfg.PublisherLinger); err != nil {
			log.Warn("closing metrics publisher", "err", err)
		}
		exp.Close(cfg.PrometheusLinger)
	})
	log.Info("daemon done", "records", agg.Processed(), "max_rss_bytes", maxRSSBytes())
	return nil
}

// shutdown runs closeAll, which lingers (bounded) so readers get the
// terminal frame and a last scrape. The final snapshot is already on
// disk, so a SIGTERM meanwhile ends the wait at once: Run returns and
// the process exits 0 without waiting out the linger (the listening
// socket files are unlinked first thing by closeAll).
func shutdown(sigs <-chan os.Signal, log *slog.Logger, closeAll func()) {
	closed := make(chan struct{})
	go func() {
		testhook.Pause("shutdown")
		closeAll()
		close(closed)
	}()
	for {
		select {
		case <-closed:
			return
		case s := <-sigs:
			if s == syscall.SIGTERM {
				log.Info("SIGTERM after the final snapshot; exiting without waiting for readers")
				return
			}
		}
	}
}

// receive moves frames from the SUB socket to the owner until the socket
// is closed.
func receive(sub *transport.Subscriber, out chan<- []byte, done <-chan struct{}, log *slog.Logger) {
	defer close(out)
	for {
		frame, err := sub.Recv()
		if err != nil {
			log.Debug("event subscriber stopped", "err", err)
			return
		}
		select {
		case out <- frame:
		case <-done:
			return
		}
	}
}

func touch(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	now := time.Now()
	_ = os.Chtimes(path, now, now)
	return f.Close()
}
