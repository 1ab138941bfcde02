package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
	"github.com/mlperf-tools/aggregator/pkg/transport"
	"github.com/mlperf-tools/aggregator/pkg/watch"
)

// Exit codes of `aggregator watch` besides 0 (terminal snapshot shown) and
// 1 (bad command line, one FATAL line).
const (
	watchExitTimeout = 2   // --timeout elapsed without a snapshot
	watchExitSIGINT  = 130 // Ctrl-C (128 + SIGINT)
	watchExitSIGTERM = 143
	watchExitSIGHUP  = 129
)

type watchFlags struct {
	socketDir, metricsSocket, connect string
	series                            string
	interval, timeout                 time.Duration
	plain                             bool
	width                             int
}

// newWatchCmd is the `watch` subcommand (issue 6): a live terminal view of
// a running daemon's snapshot PUB.
func newWatchCmd(lf *logFlags) *cobra.Command {
	f := watchFlags{series: watch.DefaultSeries, interval: time.Second}
	cmd := &cobra.Command{
		Use:   "watch (--socket-dir DIR --metrics-socket NAME | --connect ENDPOINT) [flags]",
		Short: "Live terminal view of a running daemon's snapshots",
		Long: `watch subscribes to the snapshot PUB socket of a running aggregator daemon
and shows its newest snapshot: state, snapshot number, pending token tasks,
elapsed time, the counters, QPS and TPS, one row per series (count, p50,
p90, p99, max; ms for *_ns series, tokens for isl/osl) and a histogram of
one series.

Give the daemon's own --socket-dir and --metrics-socket values (a bare name
is joined to the directory exactly as the daemon does; ipc://PATH or
tcp://HOST:PORT is used as is), or --connect ENDPOINT. If the daemon is not
up yet, watch waits for it.

QPS = delta total_samples_completed / delta timestamp_ns, and TPS = delta of
the osl series total / delta timestamp_ns, between the newest snapshot and
the newest one at least 1 s older (timestamp_ns is the daemon's clock, so
skipped snapshots do not skew them). osl grows when output tokens are
counted (--tokenizer; the live lane may lag and the drain catches up), so
TPS is output tokens counted per second, 0 without a tokenizer. "avg" rates
are over total_duration_ns, "tracked" over tracked_duration_ns.

On a terminal the view is redrawn in place on the alternate screen; the
terminal is restored on exit and on Ctrl-C. When stdout is not a terminal
(or with --plain) it prints one summary line per snapshot, at most one per
--interval. On the final snapshot (complete or interrupted) it prints the
full final view, in plain mode too, and exits 0. Exit codes: 0 final
snapshot shown, 1 bad command line, 2 --timeout elapsed, 130 Ctrl-C.

watch never slows the daemon: the daemon's publisher queues at most 4
snapshots per reader and drops the oldest for a slow one; watch reads its
socket continuously and renders only the newest snapshot.`,
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := lf.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ep, err := watch.Endpoint(f.socketDir, f.metricsSocket, f.connect)
			if err != nil {
				return err
			}
			switch {
			case f.interval < 0:
				return fmt.Errorf("--interval must be >= 0, got %v", f.interval)
			case f.timeout < 0:
				return fmt.Errorf("--timeout must be >= 0, got %v", f.timeout)
			case f.width < 0:
				return fmt.Errorf("--width must be >= 0, got %d", f.width)
			}
			out := watchOut{w: cmd.OutOrStdout(), errw: cmd.ErrOrStderr()}
			if fo, ok := out.w.(*os.File); ok && !f.plain && watch.IsTerminal(fo) {
				out.tty = true
				out.size = func() (int, int) { return watch.Size(fo) }
				resize := make(chan os.Signal, 1)
				watch.NotifyResize(resize)
				defer signal.Stop(resize)
				out.resize = resize
			}
			ctx, stop := watchSignals(cmd.Context())
			defer stop()
			code, err := runWatch(ctx, &f, ep, log, out)
			if err != nil {
				return err
			}
			if code != 0 {
				stop()
				os.Exit(code)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.socketDir, "socket-dir", "", "the daemon's --socket-dir")
	fl.StringVar(&f.metricsSocket, "metrics-socket", "", "the daemon's --metrics-socket: a name in --socket-dir, or ipc://PATH / tcp://HOST:PORT")
	fl.StringVar(&f.connect, "connect", "", "snapshot PUB endpoint (ipc://PATH or tcp://HOST:PORT) instead of --socket-dir/--metrics-socket")
	fl.StringVar(&f.series, "series", f.series, "series whose histogram is drawn")
	fl.Var((*secondsFlag)(&f.interval), "interval", "plain mode: at most one line per interval (seconds or a duration: 1, 0.5s, 2m; 0 = every snapshot)")
	fl.Var((*secondsFlag)(&f.timeout), "timeout", "exit 2 when no snapshot arrives for this long (seconds or a duration; 0 = wait forever)")
	fl.BoolVar(&f.plain, "plain", false, "plain lines even on a terminal")
	fl.IntVar(&f.width, "width", 0, "columns of the view (0 = the terminal's; else $COLUMNS, else 100)")
	return cmd
}

// secondsFlag is a duration flag that also takes bare seconds ("0.5"), like
// the daemon's --publish-interval.
type secondsFlag time.Duration

func (s *secondsFlag) String() string { return time.Duration(*s).String() }
func (s *secondsFlag) Type() string   { return "duration" }
func (s *secondsFlag) Set(v string) error {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		*s = secondsFlag(seconds(f))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("want seconds or a duration such as 500ms, got %q", v)
	}
	*s = secondsFlag(d)
	return nil
}

// exitSignal is the context cause of a terminating signal.
type exitSignal struct {
	sig  os.Signal
	code int
}

func (e exitSignal) Error() string {
	name := map[os.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "SIGHUP"}[e.sig]
	if name == "" {
		name = e.sig.String()
	}
	return "stopped by " + name
}

// watchSignals returns a context cancelled (cause exitSignal) by SIGINT,
// SIGTERM or SIGHUP, so the terminal is restored on every way out.
func watchSignals(parent context.Context) (context.Context, func()) {
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			code := watchExitSIGINT
			switch s {
			case syscall.SIGTERM:
				code = watchExitSIGTERM
			case syscall.SIGHUP:
				code = watchExitSIGHUP
			}
			cancel(exitSignal{s, code})
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(done)
			cancel(nil)
		})
	}
}

// watchOut is where the view goes.
type watchOut struct {
	w, errw io.Writer
	tty     bool              // redraw in place (alternate screen)
	size    func() (int, int) // terminal columns, rows (0 = unknown); tty only
	resize  <-chan os.Signal  // terminal resizes; tty only
}

// latestFrame is a one-slot mailbox between the receive goroutine and the
// renderer: a new frame replaces (and recycles) one not yet taken. This
// is the watcher's half of "never slow the daemon". The daemon's side is
// transport.Publisher (pkg/transport/publisher.go): every reader has its
// own ring of PeerHWM (4) frames and its own writer goroutine, a full ring
// drops its oldest frame, and Publish never blocks, so even a stuck
// watcher costs the daemon nothing. Here the receive goroutine reads the
// socket continuously, whatever the terminal's speed, and keeps only the
// newest frame, so the ring stays empty and the view shows the newest
// snapshot; the terminal snapshot is always the newest (the daemon
// publishes nothing after it), so it is never conflated away.
type latestFrame struct {
	sub   *transport.Subscriber
	mu    sync.Mutex
	frame []byte
	n     uint64 // frames received
	ready chan struct{}
	done  chan struct{}
}

func newLatestFrame(sub *transport.Subscriber) *latestFrame {
	l := &latestFrame{sub: sub, ready: make(chan struct{}, 1), done: make(chan struct{})}
	go l.run()
	return l
}

// run receives until the subscriber is closed.
func (l *latestFrame) run() {
	defer close(l.done)
	for {
		fr, err := l.sub.Recv()
		if err != nil {
			return
		}
		l.mu.Lock()
		old := l.frame
		l.frame = fr
		l.n++
		l.mu.Unlock()
		if old != nil {
			l.sub.Release(old)
		}
		select {
		case l.ready <- struct{}{}:
		default:
		}
	}
}

// take returns the newest frame not yet taken (nil if none) and how many
// frames were received so far. The caller Releases the frame.
func (l *latestFrame) take() ([]byte, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fr := l.frame
	l.frame = nil
	return fr, l.n
}

// watchTick is how often the view checks the connection, the timeout and a
// pending redraw; minRedraw spaces redraws on a terminal.
const (
	watchTick = 100 * time.Millisecond
	minRedraw = 50 * time.Millisecond
)

// runWatch shows the snapshots of ep until the terminal one (0), ctx is
// cancelled (its exitSignal's code, else 130) or --timeout elapses (2).
func runWatch(ctx context.Context, f *watchFlags, ep string, log *slog.Logger, out watchOut) (int, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	// The subscriber's connect/reconnect chatter would tear a redrawn
	// view; the view shows the connection state itself. --log-level debug
	// lets it through.
	subLog := slog.New(slog.DiscardHandler)
	if log.Enabled(ctx, slog.LevelDebug) {
		subLog = log
	}
	subCtx, cancelSub := context.WithCancel(context.Background())
	defer cancelSub()
	sub, err := transport.NewSubscriber(subCtx, ep, subLog)
	if err != nil {
		return 0, err
	}
	latest := newLatestFrame(sub)
	defer func() {
		sub.Close()
		<-latest.done
	}()

	v := &watchView{f: f, ep: ep, out: out, start: time.Now()}
	v.lastRecv = v.start
	v.tracker.Window = watch.DefaultWindow
	if out.tty {
		io.WriteString(out.w, watch.EnterScreen)
		defer v.leave()
	} else {
		fmt.Fprintf(out.errw, "watch: waiting for %s\n", ep)
	}
	v.draw(time.Now())

	tick := time.NewTicker(watchTick)
	defer tick.Stop()
	var decodeErrs int
	for {
		select {
		case <-ctx.Done():
			code := watchExitSIGINT
			if es, ok := context.Cause(ctx).(exitSignal); ok {
				code = es.code
			}
			v.leave()
			if v.have && out.tty {
				// Keep the last view on the normal screen.
				v.printView(v.ttyOptions(1))
			}
			fmt.Fprintf(out.errw, "watch: %v; %s\n", context.Cause(ctx), v.received())
			return code, nil

		case <-latest.ready:
			fr, n := latest.take()
			if fr == nil {
				continue
			}
			v.frames = n
			ok := snapshot.DecodeFrame(fr, &v.snap) == nil
			sub.Release(fr)
			if !ok {
				decodeErrs++
				log.Debug("watch: dropping a frame that is not a snapshot", "count", decodeErrs)
				continue
			}
			now := time.Now()
			v.have, v.lastRecv, v.dirty = true, now, true
			v.rates = v.tracker.Observe(&v.snap)
			if watch.Terminal(v.snap.State) {
				v.final()
				return 0, nil
			}
			v.draw(now)

		case <-tick.C:
			now := time.Now()
			st := sub.Stats()
			if c := st.Connects > st.Disconnects; c != v.connected {
				v.connected, v.dirty = c, true
				if !out.tty {
					if c {
						fmt.Fprintf(out.errw, "watch: connected to %s\n", ep)
					} else {
						fmt.Fprintf(out.errw, "watch: connection to %s lost; waiting\n", ep)
					}
				}
			}
			if f.timeout > 0 && now.Sub(v.lastRecv) >= f.timeout {
				v.leave()
				fmt.Fprintf(out.errw, "watch: no snapshot from %s for %v; %s\n", ep, f.timeout, v.received())
				return watchExitTimeout, nil
			}
			v.draw(now)

		case <-out.resize:
			v.dirty = true
			v.drawn = ""
			v.draw(time.Now())
		}
	}
}

// watchView is the renderer's state (owned by runWatch's goroutine).
type watchView struct {
	f     *watchFlags
	ep    string
	out   watchOut
	start time.Time

	snap      snapshot.Snapshot
	have      bool // a snapshot was decoded
	rates     watch.Rates
	tracker   watch.Tracker
	frames    uint64
	connected bool
	lastRecv  time.Time

	dirty   bool      // something to show that was not shown yet
	lastOut time.Time // last redraw (tty) or line (plain)
	drawn   string    // the last frame written (tty), to skip identical redraws
	left    bool      // the alternate screen was left
}

func (v *watchView) received() string {
	if !v.have {
		return "no snapshot received"
	}
	return fmt.Sprintf("last snapshot %d (%s)", v.snap.Counter, v.snap.State)
}

// width is --width, else the terminal's (tty), else $COLUMNS, else 100.
func (v *watchView) width(cols int) int {
	switch {
	case v.f.width > 0:
		return v.f.width
	case cols > 0:
		return cols
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return watch.DefaultWidth
}

// ttyOptions sizes the view to the terminal, reserve rows short of it.
func (v *watchView) ttyOptions(reserve int) watch.Options {
	cols, rows := 0, 0
	if v.out.size != nil {
		cols, rows = v.out.size()
	}
	if rows <= 0 {
		if n, err := strconv.Atoi(os.Getenv("LINES")); err == nil && n > 0 {
			rows = n
		} else {
			rows = 24
		}
	}
	return watch.Options{Source: v.ep, Series: v.f.series, Width: v.width(cols), Height: max(rows-reserve, 1), Status: v.status()}
}

func (v *watchView) status() string {
	if v.have && !v.connected {
		return fmt.Sprintf("connection lost; waiting for %s (last snapshot %s ago)", v.ep, time.Since(v.lastRecv).Round(time.Second))
	}
	return ""
}

// draw shows what is pending: a redraw on a terminal (at most one per
// minRedraw, skipped when identical), a line in plain mode (at most one per
// --interval).
func (v *watchView) draw(now time.Time) {
	if !v.out.tty {
		if !v.have || !v.dirty || (!v.lastOut.IsZero() && now.Sub(v.lastOut) < v.f.interval) {
			return
		}
		fmt.Fprintln(v.out.w, watch.Line(&v.snap, v.rates, v.f.series))
		v.dirty, v.lastOut = false, now
		return
	}
	if now.Sub(v.lastOut) < minRedraw {
		return // the next tick draws it
	}
	o := v.ttyOptions(0)
	var lines []string
	if v.have {
		lines = watch.View(&v.snap, v.rates, o)
	} else {
		lines = watch.Waiting(v.connected, now.Sub(v.start), o)
	}
	fr := string(watch.Frame(lines))
	v.dirty = false
	if fr == v.drawn {
		return
	}
	io.WriteString(v.out.w, fr)
	v.drawn, v.lastOut = fr, now
}

// leave restores the terminal (once).
func (v *watchView) leave() {
	if v.out.tty && !v.left {
		v.left = true
		io.WriteString(v.out.w, watch.LeaveScreen)
	}
}

// final shows the terminal snapshot: on a terminal the full view on the
// normal screen (sized to leave a row for the prompt); in plain mode its
// summary line, then the full view (every histogram bucket).
func (v *watchView) final() {
	if v.out.tty {
		v.leave()
		v.printView(v.ttyOptions(1))
		return
	}
	fmt.Fprintln(v.out.w, watch.Line(&v.snap, v.rates, v.f.series))
	fmt.Fprintln(v.out.w)
	v.printView(watch.Options{Source: v.ep, Series: v.f.series, Width: v.width(0)})
}

func (v *watchView) printView(o watch.Options) {
	o.Status = ""
	lines := watch.View(&v.snap, v.rates, o)
	io.WriteString(v.out.w, strings.Join(lines, "\n")+"\n")
}
