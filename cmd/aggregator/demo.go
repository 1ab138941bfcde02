package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlperf-tools/aggregator/pkg/loadgen"
	"github.com/mlperf-tools/aggregator/pkg/report"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
	"github.com/mlperf-tools/aggregator/pkg/transport"
	"github.com/mlperf-tools/aggregator/pkg/watch"
)

type demoFlags struct {
	keep     bool
	interval float64
	qps      float64
	block    float64
}

func newDemoCmd(lf *logFlags) *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the daemon against an embedded synthetic streaming run (~10 s)",
		Long: `demo starts the aggregator daemon exactly as the benchmark does (a child
process with the benchmark's arguments, readiness signal over IPC), plays a
synthetic streaming run into it over real ZeroMQ IPC — warm-up, two tracking
blocks with untracked accuracy samples between them, streamed chunks, errors,
every finish reason, pre-tokenized prompts — shows a live table from the
daemon's snapshot socket, then prints the final summary and where
final_snapshot.json is.`,
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := lf.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runDemo(cmd.Context(), &f, lf, log, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&f.keep, "keep", true, "keep the output directory (final_snapshot.json) after the run")
	cmd.Flags().Float64Var(&f.interval, "publish-interval", 0.5, "daemon live snapshot interval, seconds")
	cmd.Flags().Float64Var(&f.qps, "qps", 0, "issue rate inside tracked blocks (default: the demo's 120)")
	cmd.Flags().Float64Var(&f.block, "block", 0, "seconds of issuing per tracked block (default: the demo's 3.5)")
	return cmd
}

func runDemo(ctx context.Context, f *demoFlags, lf *logFlags, log *slog.Logger, w io.Writer) error {
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
		"--metrics-output-dir", outDir, "--streaming", "--publish-interval", fmt.Sprint(f.interval),
		"--log-format", lf.format, "--log-level", "warn",
		"--readiness-path", "ready", "--readiness-id", "1"}
	fmt.Fprintf(w, "starting: aggregator %s\n", strings.Join(args, " "))
	daemonCmd := exec.Command(self, args...)
	daemonCmd.Stderr = os.Stderr
	daemonCmd.SysProcAttr = childProcAttr()
	t0 := time.Now()
	if err := daemonCmd.Start(); err != nil {
		return fmt.Errorf("start daemon: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- daemonCmd.Wait() }()
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
	fmt.Fprintf(w, "daemon ready in %v\n\n", time.Since(t0).Round(time.Millisecond))

	cfg := loadgen.DemoConfig()
	if f.qps > 0 {
		cfg.QPS = f.qps
	}
	if f.block > 0 {
		cfg.Block = seconds(f.block)
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
	)
	var daemonErr error
	done := false
	for !done {
		select {
		case err := <-played:
			if err != nil {
				return fmt.Errorf("load generator: %w", err)
			}
			played = nil
		case fr, ok := <-frames:
			if !ok {
				frames = nil
				continue
			}
			if snapshot.DecodeFrame(fr, &snap) == nil && !watch.Terminal(snap.State) {
				fmt.Fprintln(w, watch.Line(&snap, tracker.Observe(&snap), ""))
			}
		case daemonErr = <-exited:
			done = true
		case <-time.After(60 * time.Second):
			return errors.New("demo did not finish within 60 s")
		}
	}
	if daemonErr != nil {
		return fmt.Errorf("daemon: %w", daemonErr)
	}
	path := filepath.Join(outDir, snapshot.FinalFileName)
	final, err := snapshot.ReadFinal(outDir)
	if err != nil {
		return fmt.Errorf("read final snapshot: %w", err)
	}
	fmt.Fprintln(w)
	if err := report.WriteText(w, report.Build(final)); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nfinal snapshot: %s\n", path)
	return nil
}
