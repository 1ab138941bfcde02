package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Lifecycle changes of upstream #409 (UPSTREAM.md §7.A): the session's
// INTERRUPTED marker, the three meanings of --drain-timeout, write-once
// finalization under racing signals, and --publish-interval 0. Expected
// snapshots come from the upstream aggregator at the #409 head
// (scripts/gen-interrupt-golden.sh).

// lastFrameState is the state of the last snapshot frame the launcher saw.
func lastFrameState(t *testing.T, res launchResult) string {
	t.Helper()
	if len(res.Snapshots) == 0 {
		t.Fatal("no snapshot frame received")
	}
	return res.Snapshots[len(res.Snapshots)-1][2].(string)
}

// TestDaemonInterruptedMarker: a run the benchmark stopped ends with
// session.interrupted before session.ended. The daemon folds nothing for
// the marker (no failed sample), keeps publishing "live", and at ENDED
// writes the final snapshot upstream writes: state interrupted, HDR
// statistics, no early-stopping map. Framed as upstream batches it (the
// marker and ENDED in one batch frame) and as single-record frames.
func TestDaemonInterruptedMarker(t *testing.T) {
	t.Parallel()
	c := golden(t, "interrupted-marker")
	for _, framing := range []struct{ batch, pace string }{{"500", "0.05"}, {"1", "0"}} {
		t.Run("batch="+framing.batch, func(t *testing.T) {
			t.Parallel()
			res, out := launch(t, c.events(), []string{"--batch", framing.batch, "--pace", framing.pace, "--settle", "0.3"},
				append([]string{"--publish-interval", "0.05"}, c.args...))
			if res.Exit != 0 {
				t.Fatalf("exit %d", res.Exit)
			}
			compareFinal(t, c, out)
			if got := lastFrameState(t, res); got != "interrupted" {
				t.Errorf("last frame state %s, want interrupted", got)
			}
			for i, s := range res.Snapshots[:len(res.Snapshots)-1] {
				if s[2] == "interrupted" {
					t.Errorf("frame %d: live frame says interrupted; the marker only tags the final", i)
				}
			}
		})
	}
}

// TestDaemonMarkerAfterEnded: a marker after ENDED (in the same batch: the
// stream's last 52 records are one frame) changes nothing: the final is
// upstream's complete snapshot.
func TestDaemonMarkerAfterEnded(t *testing.T) {
	t.Parallel()
	c := golden(t, "marker-after-ended")
	res, out := launch(t, c.events(), []string{"--batch", "500", "--pace", "0.05"}, c.args)
	if res.Exit != 0 {
		t.Fatalf("exit %d", res.Exit)
	}
	compareFinal(t, c, out)
	if got := lastFrameState(t, res); got != "complete" {
		t.Errorf("last frame state %s, want complete", got)
	}
}

// TestDaemonTokensInterrupted: token work left for the drain, then the
// marker and ENDED: the daemon drains everything as usual and writes
// upstream's interrupted final (n_pending_tasks 0), with the live lane and
// with the drain alone.
func TestDaemonTokensInterrupted(t *testing.T) {
	t.Parallel()
	dir := tokenizerDir(t)
	c := readGolden(t, "../../testdata/tokens-interrupted")
	for _, workers := range []string{"4", "0"} {
		t.Run("workers="+workers, func(t *testing.T) {
			res, out := launchEnv(t, c.events(), nil, nil, []string{"--batch", "50", "--pace", "0.02"},
				append([]string{"--publish-interval", "0.05", "--tokenizer", dir, "--tokenizer-workers", workers}, c.args...))
			if res.Exit != 0 {
				t.Fatalf("exit %d", res.Exit)
			}
			compareExact(t, c.expected, out)
			if got := lastFrameState(t, res); got != "interrupted" {
				t.Errorf("last frame state %s, want interrupted", got)
			}
			noOrphans(t)
		})
	}
}

// TestDaemonZeroDrainBudget: --drain-timeout 0 means no drain at all (the
// flag omitted means unlimited: TestDaemonTokensGolden). The final is
// complete with every queued job pending, exactly upstream's with the drain
// alone; no drain worker is started. With a live lane, whatever it counted
// is recorded and the rest stays pending.
func TestDaemonZeroDrainBudget(t *testing.T) {
	t.Parallel()
	dir := tokenizerDir(t)
	c := readGolden(t, "../../testdata/tokens-nodrain")
	want := finalPending(t, c.expected)
	if want == 0 {
		t.Fatal("golden has nothing pending")
	}
	t.Run("workers=0", func(t *testing.T) {
		res, out := launchEnv(t, c.events(), nil, nil, []string{"--batch", "200"},
			append([]string{"--tokenizer", dir, "--tokenizer-workers", "0"}, c.args...))
		if res.Exit != 0 {
			t.Fatalf("exit %d", res.Exit)
		}
		compareExact(t, c.expected, out)
		noDrainStarted(t, out)
	})
	t.Run("workers=4", func(t *testing.T) {
		res, out := launchEnv(t, c.events(), nil, nil, []string{"--batch", "50", "--pace", "0.02"},
			append([]string{"--publish-interval", "0.05", "--tokenizer", dir, "--tokenizer-workers", "4"}, c.args...))
		if res.Exit != 0 {
			t.Fatalf("exit %d", res.Exit)
		}
		f := finalFile(t, out)
		got := f["n_pending_tasks"].(float64)
		if f["state"] != "complete" || got > float64(want) {
			t.Errorf("state %v n_pending_tasks %v, want complete with at most %d pending", f["state"], got, want)
		}
		noDrainStarted(t, out)
		noOrphans(t)
		t.Logf("live lane left %v of %d jobs pending", got, want)
	})
}

// finalPending reads n_pending_tasks from a final snapshot's JSON.
func finalPending(t *testing.T, final []byte) int {
	t.Helper()
	var m struct {
		Pending int `json:"n_pending_tasks"`
	}
	if err := json.Unmarshal(final, &m); err != nil {
		t.Fatal(err)
	}
	return m.Pending
}

// noDrainStarted checks the daemon log: no drain was planned or started.
func noDrainStarted(t *testing.T, out string) {
	t.Helper()
	logb, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
	for _, bad := range []string{"drain plan", "draining"} {
		if strings.Contains(string(logb), bad) {
			t.Errorf("daemon log has %q with --drain-timeout 0:\n%s", bad, logb)
		}
	}
	if !strings.Contains(string(logb), "--drain-timeout 0: no drain") {
		t.Errorf("daemon log does not say the drain was skipped:\n%s", logb)
	}
}

// TestDaemonPublishIntervalZero: --publish-interval 0 turns live snapshots
// off; the final snapshot is still published (one frame) and written. The
// live token lane keeps its own cadence.
func TestDaemonPublishIntervalZero(t *testing.T) {
	t.Parallel()
	t.Run("no tokenizer", func(t *testing.T) {
		t.Parallel()
		c := golden(t, "streaming")
		res, out := launch(t, c.events(), []string{"--batch", "100", "--pace", "0.02"},
			append([]string{"--publish-interval", "0"}, c.args...))
		if res.Exit != 0 {
			t.Fatalf("exit %d", res.Exit)
		}
		compareFinal(t, c, out)
		if len(res.Snapshots) != 1 || lastFrameState(t, res) != "complete" {
			t.Errorf("got %d frames, want only the final one", len(res.Snapshots))
		}
	})
	t.Run("tokenizer", func(t *testing.T) {
		t.Parallel()
		dir := tokenizerDir(t)
		events, expected, args := tokensGolden(t)
		res, out := launchEnv(t, events, nil, nil, []string{"--batch", "50", "--pace", "0.03"},
			append([]string{"--publish-interval", "0", "--tokenizer", dir, "--tokenizer-workers", "2"}, args...))
		if res.Exit != 0 {
			t.Fatalf("exit %d", res.Exit)
		}
		compareExact(t, expected, out)
		if len(res.Snapshots) != 1 {
			t.Errorf("got %d frames, want only the final one", len(res.Snapshots))
		}
		logb, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
		if !raceEnabled && !strings.Contains(string(logb), "live token worker started") {
			t.Error("the live token lane did not run with live snapshots off")
		}
		noOrphans(t)
	})
}

// finalizePoints are the pause points of the finalization, in order
// (internal/testhook): after ENDED is folded, before the snapshot build,
// before the file write, with the temp file written and not yet renamed,
// renamed and the directory not yet fsynced, before the terminal frame,
// and while closing the sockets.
var finalizePoints = []string{"ended", "finalize.build", "finalize.write", "snapshot.tmp", "snapshot.renamed", "finalize.publish", "shutdown"}

// TestDaemonFinalizeWriteOnce delivers real signals at each point of the
// finalization (upstream #409's write-once lock, UPSTREAM.md §7.A3):
//   - ENDED first, then two SIGTERMs while it finalizes: upstream's complete
//     snapshot is written once;
//   - SIGTERM first, then the rest of the run (ENDED included) while the
//     interrupted snapshot is written: upstream's interrupted snapshot of
//     the prefix, written once.
//
// Either way: exit 0, one complete final_snapshot.json, no temp file.
func TestDaemonFinalizeWriteOnce(t *testing.T) {
	t.Parallel()
	bin := binPath // test binaries carry the pauses (internal/testbin)
	full := golden(t, "streaming")
	cut := golden(t, "interrupted")
	prefix := countLines(t, cut.events())
	for _, point := range finalizePoints {
		env := []string{"AGGREGATOR_TEST_PAUSE=" + point, "AGGREGATOR_TEST_PAUSE_FOR=600ms"}
		marker := "testhook: paused at " + point
		t.Run("ended-then-sigterm/"+point, func(t *testing.T) {
			t.Parallel()
			res, out := launchBin(t, bin, full.events(), env, nil,
				[]string{"--batch", "500", "--sigterm-on-log", marker, "--sigterms", "2"}, full.args)
			checkWrittenOnce(t, res, out)
			compareFinal(t, full, out)
		})
		if point == "ended" {
			continue // the SIGTERM path never folds ENDED
		}
		t.Run("sigterm-then-ended/"+point, func(t *testing.T) {
			t.Parallel()
			res, out := launchBin(t, bin, full.events(), env, nil,
				[]string{"--mode", "sigterm", "--stop-after", strconv.Itoa(prefix), "--rest-on-log", marker}, []string{"--streaming"})
			checkWrittenOnce(t, res, out)
			compareFinal(t, cut, out)
		})
	}
}

// checkWrittenOnce: exit 0, the pause was reached, one final snapshot
// written, no temp file left.
func checkWrittenOnce(t *testing.T, res launchResult, out string) {
	t.Helper()
	if res.Exit != 0 {
		t.Errorf("exit %d, want 0", res.Exit)
	}
	if res.LogSeen == nil || !*res.LogSeen {
		t.Fatal("the daemon never reached the pause point")
	}
	logb, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
	if n := strings.Count(string(logb), "final snapshot written"); n != 1 {
		t.Errorf("final snapshot written %d times, want once:\n%s", n, logb)
	}
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temp file %s left behind", e.Name())
		}
	}
}
