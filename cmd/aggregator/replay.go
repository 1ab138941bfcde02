package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlperf-tools/aggregator/pkg/aggregator"
	"github.com/mlperf-tools/aggregator/pkg/chattmpl"
	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/metrics"
	"github.com/mlperf-tools/aggregator/pkg/progress"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
	"github.com/mlperf-tools/aggregator/pkg/tokpipe"
	"github.com/mlperf-tools/aggregator/pkg/tokqueue"
)

// replayBatch is how many records replay folds at a time, matching the
// publisher's batch size.
const replayBatch = 1000

type replayFlags struct {
	outDir        string
	streaming     bool
	earlyStopping bool
	sigFigs       int
	buckets       int
	missingEnded  string
	progress      string
	tokenizer     string
}

func newReplayCmd(lf *logFlags) *cobra.Command {
	var f replayFlags
	cmd := &cobra.Command{
		Use:   "replay EVENTS.jsonl[.gz]",
		Short: "Fold a recorded events.jsonl through the aggregator and write final_snapshot.json",
		Long: `replay reads the benchmark event logger's events.jsonl (one EventRecord as
JSON per line), feeds every record through the same decode, fold and
snapshot code as the daemon, and writes final_snapshot.json into
--metrics-output-dir. Use the --streaming and --early-stopping settings the
run had. A stream without session.ended is an error unless
--missing-ended says what to do.`,
		Args:          cobra.ExactArgs(1),
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := lf.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runReplay(cmd.Context(), args[0], &f, log, cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.outDir, "metrics-output-dir", ".", "existing directory to write final_snapshot.json into")
	fl.BoolVar(&f.streaming, "streaming", false, "register ttft_ns, chunk_delta_ns and tpot_ns")
	fl.BoolVar(&f.earlyStopping, "early-stopping", false, "add early-stopping estimates to tail-latency series")
	fl.IntVar(&f.sigFigs, "hdr-sig-figs", metrics.DefaultSigFigs, "HDR significant figures (interrupted snapshots use the HDR view)")
	fl.IntVar(&f.buckets, "n-histogram-buckets", metrics.DefaultBuckets, "histogram buckets per series")
	fl.StringVar(&f.missingEnded, "missing-ended", "error", "when the stream has no session.ended: error, synthesize (end at the last record) or interrupt (write an interrupted snapshot)")
	fl.StringVar(&f.tokenizer, "tokenizer", "", "HF model id or local directory: count text/chat token metrics (drained at the end of the stream by a shardworker)")
	fl.StringVar(&f.progress, "progress", "auto", "progress bar on stderr: auto (when stderr is a terminal), always or never")
	return cmd
}

func runReplay(ctx context.Context, path string, f *replayFlags, log *slog.Logger, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	switch f.missingEnded {
	case "error", "synthesize", "interrupt":
	default:
		return fmt.Errorf("--missing-ended %q: want error, synthesize or interrupt", f.missingEnded)
	}
	if st, err := os.Stat(f.outDir); err != nil || !st.IsDir() {
		return fmt.Errorf("--metrics-output-dir %s does not exist or is not a directory", f.outDir)
	}
	in, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open events: %w", err)
	}
	defer in.Close()
	var size int64
	if st, err := in.Stat(); err == nil {
		size = st.Size()
	}
	var es *metrics.EarlyStoppingSpec
	if f.earlyStopping {
		es = metrics.DefaultEarlyStoppingSpec()
	}
	acfg := aggregator.Config{
		Streaming: f.streaming, SigFigs: f.sigFigs, Buckets: f.buckets, EarlyStopping: es, Log: log,
	}
	var pipe *tokpipe.Pipeline
	if f.tokenizer != "" {
		// Count in shardworkers, like the daemon: a chat template from the
		// stream may be hostile, and only a worker process bounds a render.
		// Without a shardworker binary, count here (with a warning).
		var err error
		pipe, err = tokpipe.Open(ctx, tokpipe.Options{Tokenizer: f.tokenizer, InProcess: chattmpl.InProcessStart, Log: log})
		if err != nil {
			return err
		}
		acfg.NewTokens = pipe.NewQueue
	}
	agg, err := aggregator.New(acfg)
	if err != nil {
		return err
	}
	showProgress := f.progress == "always" || (f.progress == "auto" && stderrIsTerminal())
	bar := progress.NewBar(stderr, size, showProgress)

	var (
		dec      events.Decoder
		batch    events.Batch
		payloads []byte
		ends     []int
		lastTs   int64
		lines    int64
		bad      int64
		readN    int64
	)
	flush := func() bool {
		batch.Reset()
		start := 0
		for _, end := range ends {
			batch.Records = append(batch.Records, events.Record{})
			r := &batch.Records[len(batch.Records)-1]
			dec.DecodePayload(payloads[start:end], r)
			if r.Err != nil {
				bad++
			}
			start = end
		}
		for i := range batch.Records {
			if batch.Records[i].Err == nil && batch.Records[i].TimestampNs > lastTs {
				lastTs = batch.Records[i].TimestampNs
			}
		}
		payloads, ends = payloads[:0], ends[:0]
		return agg.Process(batch.Records).Ended
	}
	counted := &countingReader{r: in}
	var src io.Reader = counted
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(counted)
		if err != nil {
			return fmt.Errorf("open events %s: %w", path, err)
		}
		defer zr.Close()
		src = zr
	}
	sc := bufio.NewScanner(src)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<30)
	ended := false
	for sc.Scan() && !ended {
		line := sc.Bytes()
		readN = counted.n
		lines++
		if len(trimSpace(line)) == 0 {
			continue
		}
		var terr error
		payloads, terr = events.TranscodeJSONRecord(line, payloads)
		if terr != nil {
			log.Warn("replay: line is not a JSON EventRecord; counted as error.generic", "line", lines, "err", terr)
		}
		ends = append(ends, len(payloads))
		if len(ends) == replayBatch {
			ended = flush()
			bar.Update(readN)
		}
		if ctx != nil && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if !ended && len(ends) > 0 {
		ended = flush()
	}
	bar.Done(counted.n)
	if !ended {
		switch f.missingEnded {
		case "error":
			return errors.New("the stream has no session.ended record; pass --missing-ended synthesize or interrupt")
		case "synthesize":
			agg.Process([]events.Record{{Type: events.SessionEnded, TimestampNs: lastTs, TokenIDs: -1}})
		}
	}
	// ENDED (seen or synthesized) drains and finalizes complete, or
	// interrupted after the session's INTERRUPTED marker; without it
	// the SIGTERM path: interrupted, no drain.
	state, drain := agg.FinalState(), agg.Ended()
	if !drain {
		state = snapshot.Interrupted
	}
	if bad > 0 {
		log.Warn("replay: malformed records counted as error.generic", "decode_errors", bad)
	}
	if queue := pipe.Queue(); queue != nil && drain {
		// The daemon's drain: one worker over every CPU.
		t0 := time.Now()
		tokqueue.DrainSync(ctx, queue, tokqueue.DrainConfig{
			Start: pipe.Start, Blocks: [][]int{nil}, Procs: runtime.GOMAXPROCS(0), Log: log,
		})
		queue.LogStats()
		log.Info("replay: token drain done", "elapsed_ms", time.Since(t0).Milliseconds())
	}
	var snap snapshot.Snapshot
	if err := agg.Finalize(&snap, f.outDir, state); err != nil {
		return err
	}
	log.Info("replay done", "lines", lines, "records", agg.Processed(), "elapsed", time.Since(bar.Start).Round(time.Millisecond).String())
	return nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// countingReader counts the bytes read through it, for the progress bar.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
