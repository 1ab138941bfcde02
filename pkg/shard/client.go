package shard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// ErrWorkerDead matches (errors.Is) the errors of a worker that exited,
// was killed, or broke the protocol and was killed: start a new one. A
// worker that refused a batch (an "error" frame) is still alive.
var ErrWorkerDead = errors.New("shard: worker dead")

// ErrRenderLimit matches (errors.Is) the error of a worker that died of a
// chat-template render: it exceeded --render-timeout or --render-memory
// (exit status ExitRenderLimit) or overflowed its stack. It also matches
// ErrWorkerDead.
var ErrRenderLimit = errors.New("shard: worker died of a chat-template render limit")

// deadError is an error that matches ErrWorkerDead (and ErrRenderLimit
// when render is set).
type deadError struct {
	msg    string
	render bool
}

func (e *deadError) Error() string { return e.msg }
func (e *deadError) Is(target error) bool {
	return target == ErrWorkerDead || (e.render && target == ErrRenderLimit)
}

// Config says how to start a worker.
type Config struct {
	// Bin is the path of the shardworker binary (see FindBin).
	Bin string
	// TokenizerDir is the local directory holding tokenizer.json.
	TokenizerDir string
	// Procs is the worker's GOMAXPROCS (--procs); ≤ 0 lets the worker use
	// the number of CPUs in its affinity mask.
	Procs int
	// Start starts cmd, e.g. pinned to a CPU block; nil means cmd.Start.
	// It must keep cmd.SysProcAttr (Start sets Pdeathsig there) and must
	// not let the OS thread that forked exit while the worker runs: on
	// Linux the death signal fires when that *thread* exits, so a Start
	// that calls runtime.LockOSThread must UnlockOSThread before it
	// returns (a goroutine that exits locked takes its thread down, and
	// the worker with it).
	Start func(cmd *exec.Cmd) error
	// LogLevel is the worker's --log-level ("" = its default, info).
	LogLevel string
	// RenderTimeout is the wall-clock time one chat item may take in the
	// worker (--render-timeout); ≤ 0 = the worker's default,
	// DefaultRenderTimeout. A worker whose render runs longer exits with
	// status ExitRenderLimit and Count fails naming the item.
	RenderTimeout time.Duration
	// RenderMemory is how many bytes the worker process may grow above
	// its level after start-up while chat items render
	// (--render-memory); ≤ 0 = the worker's default, DefaultRenderMemory.
	// It is a limit on the whole process (Go cannot account memory per
	// goroutine), checked only while renders run: a per-render limit
	// only for one-item batches.
	RenderMemory int64
	// Env is appended to the daemon's environment for the worker.
	Env []string
	// CloseGrace bounds Close's wait for an orderly exit before SIGKILL;
	// ≤ 0 = DefaultCloseGrace.
	CloseGrace time.Duration
	// Log receives the worker's stderr, one record per line, and the
	// client's own diagnostics; nil discards them.
	Log *slog.Logger
}

// Worker is a running shardworker process. Count may be called from any
// goroutine; calls are serialized (one batch in flight: the worker already
// spreads a batch over all its cores, so pipelining would only queue).
// A worker that was killed or died cannot be reused; start a new one.
type Worker struct {
	cmd   *exec.Cmd
	pid   int
	hello Hello
	log   *slog.Logger
	// closeGrace is Config.CloseGrace (or its default).
	closeGrace time.Duration

	stdin   *os.File // our write end of the worker's stdin
	writeMu sync.Mutex
	sem     chan struct{} // held by the Count in flight
	buf     []byte        // request buffer, under sem
	nextID  uint64        // under sem

	resp chan *Frame // answers (and the hello), from the read loop

	deadOnce sync.Once
	dead     chan struct{} // closed when the read loop ends
	deadErr  error         // why (set before dead is closed)
	fatalMu  sync.Mutex
	fatal    string // the worker's fatal frame, if any

	exited  chan struct{} // closed once the process is reaped
	waitErr error         // cmd.Wait's result (set before exited is closed)

	killMu     sync.Mutex
	killed     bool
	stdinOnce  sync.Once
	stderrDone chan struct{}
	tail       *lineTail
}

// Start spawns a worker and waits, within ctx, for its hello. The worker
// dies with the daemon even if the daemon is SIGKILLed (Linux: Pdeathsig
// SIGKILL; elsewhere stdin EOF, which the worker also treats as the end).
// ctx bounds only the start-up; cancel it afterwards freely.
//
// The worker stays in the daemon's process group: it ignores SIGINT
// itself, so a terminal ^C does not reach it, while a launcher that
// signals the whole group (SIGTERM, SIGKILL, job control) still reaches
// it. Its stderr is forwarded line by line to cfg.Log with its pid.
func Start(ctx context.Context, cfg Config) (*Worker, error) {
	if cfg.Bin == "" {
		return nil, errors.New("shard: no shardworker binary (Config.Bin)")
	}
	if cfg.TokenizerDir == "" {
		return nil, errors.New("shard: no tokenizer directory (Config.TokenizerDir)")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	args := []string{"--tokenizer", cfg.TokenizerDir}
	if cfg.Procs > 0 {
		args = append(args, "--procs", strconv.Itoa(cfg.Procs))
	}
	if cfg.LogLevel != "" {
		args = append(args, "--log-level", cfg.LogLevel)
	}
	if cfg.RenderTimeout > 0 {
		args = append(args, "--render-timeout", cfg.RenderTimeout.String())
	}
	if cfg.RenderMemory > 0 {
		args = append(args, "--render-memory", strconv.FormatInt(cfg.RenderMemory, 10))
	}
	cmd := exec.Command(cfg.Bin, args...)
	cmd.Env = append(os.Environ(), cfg.Env...)
	cmd.SysProcAttr = sysProcAttr()

	// Our own pipes rather than cmd.StdinPipe & co: cmd.Wait then neither
	// closes our ends nor waits on copying goroutines, so the process is
	// reaped the moment it exits.
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	pipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		if err == nil {
			files = append(files, r, w)
		}
		return r, w, err
	}
	inR, inW, err := pipe()
	if err != nil {
		return nil, fmt.Errorf("shard: stdin pipe: %w", err)
	}
	outR, outW, err := pipe()
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("shard: stdout pipe: %w", err)
	}
	errR, errW, err := pipe()
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("shard: stderr pipe: %w", err)
	}
	growPipe(inW)
	growPipe(outR)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW

	start := cfg.Start
	if start == nil {
		start = (*exec.Cmd).Start
	}
	err = start(cmd)
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		errR.Close()
		return nil, fmt.Errorf("shard: starting %s: %w", cfg.Bin, err)
	}

	w := &Worker{
		cmd:        cmd,
		pid:        cmd.Process.Pid,
		log:        log,
		stdin:      inW,
		sem:        make(chan struct{}, 1),
		resp:       make(chan *Frame, 1),
		dead:       make(chan struct{}),
		exited:     make(chan struct{}),
		stderrDone: make(chan struct{}),
		tail:       newLineTail(4),
		closeGrace: cfg.CloseGrace,
	}
	if w.closeGrace <= 0 {
		w.closeGrace = DefaultCloseGrace
	}
	go w.wait()
	go w.forwardStderr(errR)
	go w.readLoop(outR)

	select {
	case f := <-w.resp:
		if f.Type != TypeHello {
			w.Kill()
			return nil, fmt.Errorf("shardworker pid %d: first frame is %q, not hello", w.pid, f.Type)
		}
		if f.V != Version {
			w.Kill()
			return nil, fmt.Errorf("shardworker pid %d speaks protocol version %d; this daemon speaks %d (rebuild both from one tree)", w.pid, f.V, Version)
		}
		w.hello = Hello{Version: f.V, PID: f.PID, Tokenizer: f.Tokenizer, Procs: f.Procs, CPUs: f.CPUs, Chat: f.Chat}
		if f.PID != w.pid {
			log.Warn("shardworker hello pid differs from the process started", "pid", w.pid, "hello_pid", f.PID)
		}
		return w, nil
	case <-w.dead:
		return nil, fmt.Errorf("shardworker failed to start: %w", w.deathError())
	case <-ctx.Done():
		w.Kill()
		return nil, fmt.Errorf("shardworker pid %d: no hello: %w", w.pid, ctx.Err())
	}
}

// Hello returns what the worker announced: protocol version, pid,
// tokenizer identity, GOMAXPROCS, affinity mask and chat-template set-up.
func (w *Worker) Hello() Hello { return w.hello }

// Pid returns the worker's process id.
func (w *Worker) Pid() int { return w.pid }

// Exited is closed once the worker process has exited and been reaped.
func (w *Worker) Exited() <-chan struct{} { return w.exited }

// Count counts the tokens of items in the worker and returns one tokwork.Result
// per item, in order; an item the worker could not count has Count -1 and
// Err set, and the others are still valid.
//
// kinds gives each item's kind (nil: all texts; otherwise len(kinds) must
// be len(texts)). A chat item's texts[i] is its msgpack payload
// (tokwork.AppendMessage, tokwork.AppendPrompt); the worker renders it
// through the chat template and fills tokwork.Result.Rendered, or counts the
// fallback text and sets tokwork.Result.Fallback.
//
// A chat item whose render exceeds the worker's limits (Config.RenderTimeout,
// Config.RenderMemory, or a recursion that overflows its stack) kills the
// worker: Count returns an error matching ErrWorkerDead and ErrRenderLimit
// whose text names the reason and the item, and no result for the batch.
// Start a new worker; retry the chat items of that batch one per Count to
// find the culprit.
//
// If ctx ends while the batch is out (being written or counted), the
// worker is killed and reaped and ctx.Err() is returned: a worker cannot
// be interrupted mid-batch and reused. If ctx ends while waiting for
// another Count, ctx.Err() is returned and the worker is left alone. A
// worker that dies (or breaks the protocol, and is then killed) makes
// Count return an error matching ErrWorkerDead, naming its exit status
// and last stderr lines. A batch whose frame would exceed MaxFrame is
// refused (ErrFrameTooLarge) without touching the worker.
func (w *Worker) Count(ctx context.Context, texts []string, kinds []tokwork.Kind) ([]tokwork.Result, error) {
	if kinds != nil && len(kinds) != len(texts) {
		return nil, fmt.Errorf("shard: Count with %d kinds for %d texts", len(kinds), len(texts))
	}
	if allText(kinds) {
		kinds = nil // a plain batch: no kinds on the wire, no per-item chat fields back
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case w.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-w.dead:
		return nil, w.deathError()
	}
	defer func() { <-w.sem }()
	select {
	case <-w.dead:
		return nil, w.deathError()
	default:
	}

	w.nextID++
	id := w.nextID
	buf, err := AppendFrame(w.buf[:0], &Frame{Type: TypeCount, ID: id, Texts: texts, Kinds: kinds})
	if err != nil {
		return nil, fmt.Errorf("shardworker pid %d: batch of %d texts: %w", w.pid, len(texts), err)
	}
	if cap(buf) <= 4<<20 {
		w.buf = buf
	} else {
		w.buf = nil // do not pin a huge batch
	}

	// A cancelled ctx kills the worker, which also unblocks a Write stuck
	// on a full pipe.
	stop := context.AfterFunc(ctx, w.Kill)
	defer stop()
	w.writeMu.Lock()
	_, err = w.stdin.Write(buf)
	w.writeMu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			w.Kill()
			return nil, ctx.Err()
		}
		w.Kill()
		derr := w.deathError()
		return nil, &deadError{msg: fmt.Sprintf("shardworker pid %d: sending a batch: %v (%v)", w.pid, err, derr), render: errors.Is(derr, ErrRenderLimit)}
	}

	var f *Frame
	select {
	case f = <-w.resp:
	case <-w.dead:
		select {
		case f = <-w.resp: // answered, then exited
		default:
			if ctx.Err() != nil {
				w.Kill()
				return nil, ctx.Err()
			}
			return nil, w.deathError()
		}
	case <-ctx.Done():
		w.Kill()
		return nil, ctx.Err()
	}
	return w.results(f, id, len(texts))
}

func allText(kinds []tokwork.Kind) bool {
	for _, k := range kinds {
		if k != tokwork.Text {
			return false
		}
	}
	return true
}

// results checks the answer to request id and converts it.
func (w *Worker) results(f *Frame, id uint64, n int) ([]tokwork.Result, error) {
	if f.Type == TypeError && f.ID == id {
		return nil, fmt.Errorf("shardworker pid %d refused the batch: %s", w.pid, f.Error)
	}
	var bad string
	switch {
	case f.Type != TypeCounts:
		bad = fmt.Sprintf("answered with a %q frame", f.Type)
	case f.ID != id:
		bad = fmt.Sprintf("answered request %d, expected %d", f.ID, id)
	case len(f.Counts) != n:
		bad = fmt.Sprintf("returned %d counts for %d texts", len(f.Counts), n)
	case f.Errors != nil && len(f.Errors) != n:
		bad = fmt.Sprintf("returned %d errors for %d texts", len(f.Errors), n)
	case f.Rendered != nil && len(f.Rendered) != n:
		bad = fmt.Sprintf("returned %d rendered flags for %d items", len(f.Rendered), n)
	case f.Fallbacks != nil && len(f.Fallbacks) != n:
		bad = fmt.Sprintf("returned %d fallbacks for %d items", len(f.Fallbacks), n)
	}
	if bad != "" {
		w.Kill()
		return nil, &deadError{msg: fmt.Sprintf("shardworker pid %d broke the protocol (killed): %s", w.pid, bad)}
	}
	out := make([]tokwork.Result, n)
	for i, c := range f.Counts {
		switch {
		case f.Errors != nil && f.Errors[i] != "":
			out[i] = tokwork.Result{Count: -1, Err: f.Errors[i]}
		case c < 0:
			out[i] = tokwork.Result{Count: c, Err: "negative count"}
		default:
			out[i].Count = c
			if f.Rendered != nil {
				out[i].Rendered = f.Rendered[i]
			}
			if f.Fallbacks != nil {
				out[i].Fallback = f.Fallbacks[i]
			}
		}
	}
	return out, nil
}

// DefaultCloseGrace is Config.CloseGrace's default.
const DefaultCloseGrace = 2 * time.Second

// Close asks the worker to exit (shutdown frame, then stdin EOF), waits up
// to Config.CloseGrace, then SIGKILLs it. It always returns with the process reaped.
// The error is nil when the worker exited 0 by itself, or had already
// been killed by Kill.
func (w *Worker) Close() error {
	grace := w.closeGrace
	select {
	case <-w.exited:
	default:
		go func() {
			buf, _ := AppendFrame(nil, &Frame{Type: TypeShutdown})
			w.writeMu.Lock()
			_, _ = w.stdin.Write(buf)
			w.writeMu.Unlock()
			w.closeStdin()
		}()
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-w.exited:
		case <-t.C:
			w.Kill()
			w.waitStderr()
			return fmt.Errorf("shardworker pid %d did not exit within %v of shutdown; killed", w.pid, grace)
		}
	}
	w.closeStdin()
	w.waitStderr()
	w.killMu.Lock()
	killed := w.killed
	w.killMu.Unlock()
	if w.waitErr != nil && !killed {
		return fmt.Errorf("shardworker pid %d: %w", w.pid, w.waitErr)
	}
	return nil
}

// Kill SIGKILLs the worker and returns once it is reaped. It is safe to
// call at any time, more than once, from any goroutine.
func (w *Worker) Kill() {
	w.killMu.Lock()
	if !w.killed {
		w.killed = true
		select {
		case <-w.exited:
		default:
			if err := w.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
				w.log.Warn("killing shardworker", "pid", w.pid, "err", err)
			}
		}
	}
	w.killMu.Unlock()
	<-w.exited
	w.closeStdin()
}

func (w *Worker) closeStdin() { w.stdinOnce.Do(func() { w.stdin.Close() }) }

// wait reaps the process.
func (w *Worker) wait() {
	w.waitErr = w.cmd.Wait()
	close(w.exited)
}

// waitStderr lets the stderr forwarder log the last lines (bounded: a
// grandchild could hold the pipe open).
func (w *Worker) waitStderr() {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-w.stderrDone:
	case <-t.C:
	}
}

// readLoop delivers the worker's frames until its stdout ends.
func (w *Worker) readLoop(stdout *os.File) {
	defer stdout.Close()
	r := NewReader(stdout)
	for {
		f, err := r.ReadFrame()
		if err != nil {
			if err != io.EOF {
				err = fmt.Errorf("reading its stdout: %w", err)
				w.die(err)
				w.Kill() // out of sync: nothing more it says can be trusted
				return
			}
			w.die(errors.New("closed its stdout"))
			return
		}
		if f.Type == TypeFatal {
			w.fatalMu.Lock()
			w.fatal = f.Error
			w.fatalMu.Unlock()
			continue
		}
		select {
		case w.resp <- f:
		default:
			w.die(fmt.Errorf("sent an unsolicited %q frame", f.Type))
			w.Kill()
			return
		}
	}
}

func (w *Worker) die(err error) {
	w.deadOnce.Do(func() {
		w.deadErr = err
		close(w.dead)
	})
}

// deathError describes why the worker is gone: its fatal message, the
// stream error, its exit status (if it is reaped within a moment) and its
// last stderr lines.
func (w *Worker) deathError() error {
	<-w.dead
	msg := fmt.Sprintf("shardworker pid %d", w.pid)
	w.fatalMu.Lock()
	fatal := w.fatal
	w.fatalMu.Unlock()
	if fatal != "" {
		msg += ": " + fatal
	} else {
		msg += ": " + w.deadErr.Error()
	}
	render := false
	t := time.NewTimer(200 * time.Millisecond)
	defer t.Stop()
	select {
	case <-w.exited:
		if w.waitErr != nil {
			msg += " (" + w.waitErr.Error() + ")"
			render = w.cmd.ProcessState != nil && w.cmd.ProcessState.ExitCode() == ExitRenderLimit
		} else {
			msg += " (exit status 0)"
		}
		// The process is gone: let the forwarder read its last lines
		// (the reason of a render-limit exit or a fatal error).
		select {
		case <-w.stderrDone:
		case <-t.C:
		}
	case <-t.C:
	}
	if fatal == "" {
		if lines := w.tail.String(); lines != "" {
			msg += "; stderr: " + lines
		}
		render = render || w.tail.renderDeath()
	}
	return &deadError{msg: msg, render: render}
}

// A Worker is the queue's worker: tokqueue counts through it directly.
var _ tokwork.Worker = (*Worker)(nil)
