package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlperf-tools/aggregator/internal/demotok"
	"github.com/mlperf-tools/aggregator/pkg/loadgen"
	"github.com/mlperf-tools/aggregator/pkg/progress"
	"github.com/mlperf-tools/aggregator/pkg/report"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
	"github.com/mlperf-tools/aggregator/pkg/tokqueue"
	"github.com/mlperf-tools/aggregator/pkg/transport"
	"github.com/mlperf-tools/aggregator/pkg/watch"
)

type demoFlags struct {
	keep           bool
	interval       float64
	qps            float64
	block          float64
	burst          float64
	tokenizer      string
	liveWorkers    int
	coresPerWorker int
	prometheusAddr string
}

func newDemoCmd(lf *logFlags) *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the daemon against an embedded synthetic streaming run with token work (~15 s)",
		Long: `demo starts the aggregator daemon exactly as the benchmark does (a child
process with the benchmark's arguments, readiness signal over IPC), with the
tokenizer embedded in this binary (or --tokenizer), and plays a synthetic
streaming run into it over real ZeroMQ IPC: warm-up, two tracking blocks
with untracked accuracy samples between them, streamed chunks, errors,
every finish reason, text, pre-tokenized and structured chat prompts with
tools, outputs with reasoning and tool calls, and a last burst of work the
live token lane cannot keep up with. It shows the daemon's live snapshots
(with n_pending_tasks and output tokens/s), the end-of-run drain across
shardworker processes as a progress bar, then the final summary and where
final_snapshot.json and the HTML report are.`,
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := lf.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runDemo(cmd.Context(), &f, log, cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.keep, "keep", true, "keep the output directory (final_snapshot.json, report.html) after the run")
	fl.Float64Var(&f.interval, "publish-interval", 0.5, "daemon live snapshot interval, seconds")
	fl.Float64Var(&f.qps, "qps", 0, "issue rate inside tracked blocks (default: the demo's 120)")
	fl.Float64Var(&f.block, "block", 0, "seconds of issuing per tracked block (default: the demo's 3.5)")
	fl.Float64Var(&f.burst, "burst", -1, "seconds of the last high-rate block (default: the demo's 1.5; 0 = none)")
	fl.StringVar(&f.tokenizer, "tokenizer", "", "HF model id or local directory (default: the small BPE tokenizer embedded in this binary)")
	fl.IntVar(&f.liveWorkers, "tokenizer-workers", 1, "width of the daemon's live token lane")
	fl.StringVar(&f.prometheusAddr, "prometheus-addr", "", "also serve the daemon's Prometheus endpoint on HOST:PORT (see deploy/prometheus)")
	fl.IntVar(&f.coresPerWorker, "cores-per-worker", 1, "CPUs per drain worker block (1: a worker per CPU, so even a small machine drains over several)")
	_ = fl.MarkHidden("cores-per-worker")
	return cmd
}

func runDemo(ctx context.Context, f *demoFlags, log *slog.Logger, w io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	// IPC paths are limited to ~107 bytes, so the sockets live in a short
	// temp dir; the output dir is kept for the user.
	sockDir, err := os.MkdirTemp("", "aggdemo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(sockDir)
	outDir := filepath.Join(sockDir, "out")
	if f.keep {
		if outDir, err = os.MkdirTemp("", "aggregator-demo-out-"); err != nil {
			return err
		}
	} else if err := os.Mkdir(outDir, 0o755); err != nil {
		return err
	}
	tokenizer := f.tokenizer
	if tokenizer == "" {
		// The embedded tokenizer goes through the same loader as any
		// model: the daemon and its workers read it from a directory.
		tokenizer = filepath.Join(sockDir, "tokenizer")
		if err := demotok.WriteDir(tokenizer); err != nil {
			return fmt.Errorf("embedded tokenizer: %w", err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own binary: %w", err)
	}

	// The benchmark's side of the sockets: the event PUB and the readiness
	// PULL bind here, the daemon connects; its snapshots are read back.
	pub, err := transport.NewPublisher(transport.IPCEndpoint(sockDir, "ev"), nil)
	if err != nil {
		return fmt.Errorf("bind event socket: %w", err)
	}
	defer pub.Close(0)
	readyL, err := transport.ListenReady(transport.IPCEndpoint(sockDir, "ready"))
	if err != nil {
		return fmt.Errorf("bind readiness socket: %w", err)
	}
	defer readyL.Close()
	// The demo's own snapshot reader logs only errors: its reconnect
	// chatter when the daemon exits is expected.
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	sub, err := transport.NewSubscriber(ctx, transport.IPCEndpoint(sockDir, "met"), quiet)
	if err != nil {
		return err
	}
	defer sub.Close()

	args := []string{"--socket-dir", sockDir, "--socket-name", "ev", "--metrics-socket", "met",
		"--metrics-output-dir", outDir, "--streaming", "--early-stopping", "--publish-interval", fmt.Sprint(f.interval),
		"--tokenizer", tokenizer, "--tokenizer-workers", fmt.Sprint(f.liveWorkers),
		"--readiness-path", "ready", "--readiness-id", "1"}
	if f.prometheusAddr != "" {
		args = append(args, "--prometheus-addr", f.prometheusAddr)
	}
	fmt.Fprintf(w, "starting: aggregator %s\n", strings.Join(args, " "))
	// Hidden flags of the demo: a drain worker per CPU, and the daemon's
	// JSON log, which the demo reads for the drain's progress.
	args = append(args, "--cores-per-worker", fmt.Sprint(f.coresPerWorker),
		"--log-format", "json", "--log-level", "info", "--progress-interval", "100ms")
	daemonCmd := exec.Command(self, args...)
	daemonCmd.SysProcAttr = childProcAttr()
	stderr, err := daemonCmd.StderrPipe()
	if err != nil {
		return err
	}
	out := newDemoOutput(w)
	t0 := time.Now()
	if err := daemonCmd.Start(); err != nil {
		return fmt.Errorf("start daemon: %w", err)
	}
	logDone := make(chan struct{})
	go func() { defer close(logDone); out.daemonLog(stderr) }()
	exited := make(chan error, 1)
	go func() {
		<-logDone // Wait closes the pipe: read it all first
		exited <- daemonCmd.Wait()
	}()
	defer func() {
		if daemonCmd.ProcessState == nil {
			_ = daemonCmd.Process.Kill()
		}
	}()

	readyCtx, cancelReady := context.WithTimeout(ctx, 30*time.Second)
	defer cancelReady()
	ready := make(chan error, 1)
	go func() {
		if _, err := readyL.Recv(readyCtx); err != nil {
			ready <- err
			return
		}
		// The daemon signals readiness once its subscription is up;
		// events sent before it reaches the publisher would be lost.
		ready <- pub.WaitSubscribed(readyCtx)
	}()
	select {
	case err := <-ready:
		if err != nil {
			return fmt.Errorf("readiness: %w", err)
		}
	case err := <-exited:
		return fmt.Errorf("daemon exited before readiness: %v", err)
	}
	out.printf("daemon ready in %v (tokenizer %s)\n\n", time.Since(t0).Round(time.Millisecond), tokenizer)

	cfg := loadgen.DemoConfig()
	if f.qps > 0 {
		cfg.QPS = f.qps
	}
	if f.block > 0 {
		cfg.Block = seconds(f.block)
	}
	if f.burst >= 0 {
		cfg.BurstFor = seconds(f.burst)
	}
	items := loadgen.Schedule(cfg)
	played := make(chan error, 1)
	go func() {
		played <- loadgen.Play(items, 1000, func(frame []byte) error { return pub.Send(ctx, frame) })
	}()

	frames := make(chan []byte, 16)
	go func() {
		for {
			fr, err := sub.Recv()
			if err != nil {
				close(frames)
				return
			}
			frames <- fr
		}
	}()
	var (
		snap    snapshot.Snapshot
		tracker = watch.Tracker{Window: watch.DefaultWindow}
		endedAt time.Time
	)
	var daemonErr error
	for done := false; !done; {
		select {
		case err := <-played:
			if err != nil {
				return fmt.Errorf("load generator: %w", err)
			}
			played, endedAt = nil, time.Now()
		case fr, ok := <-frames:
			if !ok {
				frames = nil
				continue
			}
			if snapshot.DecodeFrame(fr, &snap) == nil && !watch.Terminal(snap.State) {
				out.printf("%s\n", watch.Line(&snap, tracker.Observe(&snap), ""))
			}
		case daemonErr = <-exited:
			done = true
		case <-time.After(90 * time.Second):
			return errors.New("demo did not finish within 90 s")
		}
	}
	out.endDrain()
	if daemonErr != nil {
		return fmt.Errorf("daemon: %w", daemonErr)
	}
	final, err := snapshot.ReadFinal(outDir)
	if err != nil {
		return fmt.Errorf("read final snapshot: %w", err)
	}
	sum := report.Build(final)
	fmt.Fprintln(w)
	if err := report.WriteText(w, sum); err != nil {
		return err
	}
	if d := out.summary(); d != nil {
		el := time.Duration(d.ElapsedMs) * time.Millisecond
		fmt.Fprintf(w, "\ndrain: %d items (%d tokens) counted in %v by %d shardworker processes, %.0f tokens/s",
			d.ItemsDone-d.Failed, d.Tokens, el.Round(time.Millisecond), len(d.Workers), float64(d.Tokens)/max(el.Seconds(), 1e-9))
		if !endedAt.IsZero() {
			fmt.Fprintf(w, " (session.ended → final snapshot %v)", time.Since(endedAt).Round(time.Millisecond))
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintln(w, "\ndrain: nothing left for it (the live lane counted everything)")
	}
	htmlPath := filepath.Join(outDir, "report.html")
	if err := writeHTMLReport(htmlPath, sum, "aggregator demo"); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nfinal snapshot: %s\nHTML report:    %s\n", filepath.Join(outDir, snapshot.FinalFileName), htmlPath)
	return nil
}

// writeHTMLReport writes the report's HTML page (aggregator report --html).
func writeHTMLReport(path string, sum *report.Summary, title string) error {
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	if err := report.WriteHTML(fh, sum, title); err != nil {
		fh.Close()
		return fmt.Errorf("write HTML report %s: %w", path, err)
	}
	return fh.Close()
}

// demoOutput is the demo's terminal: the live lines, the daemon's warnings,
// and the drain's progress bar under them (in place on a terminal).
type demoOutput struct {
	w        io.Writer
	line     *progress.Line // nil when w is not a terminal
	mu       sync.Mutex
	drain    *tokqueue.DrainProgress // the last progress the daemon logged
	sum      *drainLog               // the daemon's drain summary
	lastDraw time.Time
}

func newDemoOutput(w io.Writer) *demoOutput {
	o := &demoOutput{w: w}
	if f, ok := w.(*os.File); ok && watch.IsTerminal(f) {
		o.line = progress.NewLine(f)
		o.w = o.line
	}
	return o
}

func (o *demoOutput) printf(format string, a ...any) { fmt.Fprintf(o.w, format, a...) }

// drainLog is the "drain" group of the daemon's JSON progress lines
// (tokqueue.DrainProgress.LogValue).
type drainLog struct {
	Items     int                       `json:"items"`
	ItemsDone int                       `json:"items_done"`
	Bytes     int                       `json:"bytes"`
	BytesDone int                       `json:"bytes_done"`
	Tokens    int64                     `json:"tokens"`
	Failed    int                       `json:"failed"`
	ElapsedMs int64                     `json:"elapsed_ms"`
	Workers   []tokqueue.WorkerProgress `json:"workers"`
}

func (d *drainLog) progress(now time.Time) *tokqueue.DrainProgress {
	return &tokqueue.DrainProgress{Start: now.Add(-time.Duration(d.ElapsedMs) * time.Millisecond),
		Items: d.Items, ItemsDone: d.ItemsDone, Bytes: d.Bytes, BytesDone: d.BytesDone,
		Tokens: d.Tokens, Failed: d.Failed, Workers: d.Workers}
}

// daemonLog reads the daemon's JSON log: warnings and errors are shown,
// the drain's progress drives the bar, its summary is kept.
func (o *demoOutput) daemonLog(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var rec struct {
			Level string    `json:"level"`
			Msg   string    `json:"msg"`
			Drain *drainLog `json:"drain"`
		}
		line := sc.Bytes()
		if json.Unmarshal(line, &rec) != nil {
			fmt.Fprintf(o.w, "daemon: %s\n", line) // not JSON: a crash trace
			continue
		}
		switch {
		case rec.Msg == "drain progress" && rec.Drain != nil:
			o.showDrain(rec.Drain.progress(time.Now()), false)
		case rec.Msg == "drain summary" && rec.Drain != nil:
			o.mu.Lock()
			o.sum = rec.Drain
			o.mu.Unlock()
			o.showDrain(rec.Drain.progress(time.Now()), true)
		case rec.Level == "WARN" || rec.Level == "ERROR":
			fmt.Fprintf(o.w, "daemon %s: %s\n", rec.Level, line)
		}
	}
}

// showDrain draws the bar: in place on a terminal, else one line per
// second and the last one.
func (o *demoOutput) showDrain(p *tokqueue.DrainProgress, last bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.drain = p
	now := time.Now()
	if o.line != nil {
		o.line.Set(progress.Drain(p, now))
		return
	}
	if last || now.Sub(o.lastDraw) >= time.Second {
		o.lastDraw = now
		fmt.Fprintln(o.w, progress.Drain(p, now))
	}
}

// endDrain leaves the bar on screen and moves below it.
func (o *demoOutput) endDrain() {
	if o.line != nil {
		o.line.Done()
	}
}

// summary is the daemon's drain summary (nil when there was no drain).
func (o *demoOutput) summary() *drainLog {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sum
}
