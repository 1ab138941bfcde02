package main

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// promAddrRe finds the endpoint's bound address in the daemon log.
var promAddrRe = regexp.MustCompile(`msg="prometheus endpoint" addr=(\S+)`)

// promScrape is one parsed scrape of /metrics.
type promScrape map[string]*dto.MetricFamily

// promGet scrapes url once; the text must parse.
func promGet(client *http.Client, url string) (promScrape, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("exposition does not parse: %w", err)
	}
	return fams, nil
}

// get returns the value of family name's metric whose labels include the
// name/value pairs given (a summary's count; NaN when absent).
func (s promScrape) get(name string, labels ...string) float64 {
	f, ok := s[name]
	if !ok {
		return math.NaN()
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.GetLabel() {
				found = found || lp.GetName() == labels[i] && lp.GetValue() == labels[i+1]
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Summary != nil:
			return float64(m.GetSummary().GetSampleCount())
		}
	}
	return math.NaN()
}

// sample returns the value of one sample as Prometheus stores it: a
// counter's or gauge's value, a summary's NAME_sum and NAME_count, and
// its quantiles (NAME with a quantile label); NaN when absent.
func (s promScrape) sample(name string, labels ...string) float64 {
	for _, suffix := range []string{"_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if f := s[base]; ok && f != nil && f.GetType() == dto.MetricType_SUMMARY && len(f.GetMetric()) == 1 {
			if suffix == "_sum" {
				return f.GetMetric()[0].GetSummary().GetSampleSum()
			}
			return float64(f.GetMetric()[0].GetSummary().GetSampleCount())
		}
	}
	if f := s[name]; f != nil && f.GetType() == dto.MetricType_SUMMARY && len(labels) == 2 && labels[0] == "quantile" {
		q, err := strconv.ParseFloat(labels[1], 64)
		if err != nil {
			return math.NaN()
		}
		return s.quantile(name, q)
	}
	return s.get(name, labels...)
}

// quantile returns a summary family's quantile (NaN when absent).
func (s promScrape) quantile(name string, q float64) float64 {
	f, ok := s[name]
	if !ok || len(f.GetMetric()) == 0 || f.GetMetric()[0].Summary == nil {
		return math.NaN()
	}
	for _, qv := range f.GetMetric()[0].GetSummary().GetQuantile() {
		if qv.GetQuantile() == q {
			return qv.GetValue()
		}
	}
	return math.NaN()
}

func (s promScrape) state() string {
	for _, st := range []string{"initialize", "live", "draining", "complete", "interrupted"} {
		if s.get("aggregator_state", "state", st) == 1 {
			return st
		}
	}
	return ""
}

// promWatcher scrapes the daemon's endpoint during a launchEnv run: it
// finds the address in the log, then scrapes every 50 ms until it has
// seen a terminal state or the run is over.
type promWatcher struct {
	mu      sync.Mutex
	addr    string
	scrapes []promScrape
	errs    []error
}

func (w *promWatcher) during(out string, stop <-chan struct{}) {
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		select {
		case <-stop:
			return
		case <-time.After(50 * time.Millisecond):
		}
		if w.addr == "" {
			b, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
			m := promAddrRe.FindSubmatch(b)
			if m == nil {
				continue
			}
			w.mu.Lock()
			w.addr = string(m[1])
			w.mu.Unlock()
		}
		s, err := promGet(client, "http://"+w.addr+"/metrics")
		w.mu.Lock()
		if err != nil {
			w.errs = append(w.errs, err)
		} else {
			w.scrapes = append(w.scrapes, s)
		}
		w.mu.Unlock()
		if err == nil && (s.state() == "complete" || s.state() == "interrupted") {
			return // the daemon exits after this scrape (--prometheus-linger)
		}
	}
}

// check verifies the scrapes of a run against its final snapshot: the
// text parses, counters never decrease and increase during the run,
// series quantiles and health metrics appear, and the last scrape carries
// the final snapshot's numbers.
func (w *promWatcher) check(t *testing.T, out string) promScrape {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.addr == "" {
		t.Fatal("no prometheus endpoint address in the daemon log")
	}
	if host, _, _ := net.SplitHostPort(w.addr); host != "127.0.0.1" {
		t.Errorf("endpoint bound %s, want 127.0.0.1", w.addr)
	}
	for _, err := range w.errs {
		if strings.Contains(err.Error(), "parse") {
			t.Error(err)
		}
	}
	if len(w.scrapes) < 4 {
		t.Fatalf("%d scrapes, want several (errors: %v)", len(w.scrapes), w.errs)
	}
	t.Logf("%d scrapes, %d failed", len(w.scrapes), len(w.errs))
	prev := map[string]float64{}
	var quantiles bool
	for i, s := range w.scrapes {
		for _, n := range []string{"aggregator_samples_issued_total", "aggregator_samples_completed_total",
			"aggregator_events_decoded_total", "aggregator_frames_received_total"} {
			v := s.get(n)
			if v < prev[n] {
				t.Errorf("scrape %d: %s went down: %v after %v", i, n, v, prev[n])
			}
			if !math.IsNaN(v) {
				prev[n] = v
			}
		}
		if s.get("aggregator_sample_latency_seconds") > 0 && !math.IsNaN(s.quantile("aggregator_sample_latency_seconds", 0.99)) {
			quantiles = true
		}
	}
	if !quantiles {
		t.Error("no scrape had sample_latency_ns quantiles")
	}
	// (Scrapes before the owner loop's first publish have no health yet.)
	first, last := math.NaN(), w.scrapes[len(w.scrapes)-1]
	for _, s := range w.scrapes {
		if first = s.get("aggregator_events_decoded_total"); !math.IsNaN(first) {
			break
		}
	}
	if !(first < last.get("aggregator_events_decoded_total")) {
		t.Errorf("events_decoded_total did not increase: %v → %v", first, last.get("aggregator_events_decoded_total"))
	}
	var live int
	for _, s := range w.scrapes {
		if s.state() == "live" && s.get("aggregator_samples_issued_total") > 0 {
			live++
		}
	}
	if live < 2 {
		t.Errorf("%d scrapes of a live run, want several", live)
	}
	for _, n := range []string{"aggregator_uptime_seconds", "aggregator_events_per_second", "aggregator_decode_errors_total",
		"aggregator_frames_dropped_total", "aggregator_publisher_peers", "aggregator_publisher_frames_dropped_total",
		"aggregator_n_pending_tasks", "aggregator_token_worker_state", "go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := last[n]; !ok {
			t.Errorf("last scrape lacks %s", n)
		}
	}
	if last.state() != "complete" {
		t.Fatalf("last scrape state %q, want complete (the final snapshot)", last.state())
	}
	for _, w := range finalSamples(t, out) {
		if got := last.sample(w.name, w.labels...); got != w.value && !(math.IsNaN(got) && math.IsNaN(w.value)) {
			t.Errorf("final %s%v = %v, final_snapshot.json %v", w.name, w.labels, got, w.value)
		}
	}
	return last
}

// TestDaemonPrometheus runs the real daemon under the benchmark-style
// launcher (paced over a few seconds) with --prometheus-addr 127.0.0.1:0
// and scrapes it during the run; the final snapshot is still upstream's.
func TestDaemonPrometheus(t *testing.T) {
	t.Parallel()
	c := golden(t, "streaming")
	w := &promWatcher{}
	res, out := launchEnv(t, filepath.Join(c.dir, "events.jsonl.gz"), nil, w.during, []string{"--batch", "50", "--pace", "0.05"},
		append([]string{"--publish-interval", "0.05", "--prometheus-addr", "127.0.0.1:0", "--prometheus-linger", "10s"}, c.args...))
	if res.Exit != 0 {
		t.Fatalf("exit %d", res.Exit)
	}
	compareFinal(t, c, out)
	last := w.check(t, out)
	if got := last.get("aggregator_publisher_frames_published_total"); !(got >= 3) {
		t.Errorf("publisher_frames_published_total %v", got)
	}
	if got := last.get("aggregator_token_worker_state", "lane", "live", "state", "none"); got != 1 {
		t.Errorf("no tokenizer, yet live lane state none = %v", got)
	}
}

// TestDaemonPrometheusTokens: with the live token lane, the token queue,
// cache and worker metrics appear, the live lane is seen running, and the
// final numbers (n_pending_tasks 0) match the exact token golden.
func TestDaemonPrometheusTokens(t *testing.T) {
	t.Parallel()
	dir := tokenizerDir(t)
	events, expected, args := tokensGolden(t)
	w := &promWatcher{}
	// ENDED waits for the live worker: a -race worker on a loaded machine
	// takes seconds to start.
	res, out := launchEnv(t, events, nil, w.during, []string{"--batch", "20", "--pace", "0.04",
		"--hold", "ended:1:live token worker started"},
		append([]string{"--publish-interval", "0.05", "--tokenizer", dir, "--tokenizer-workers", "1",
			"--prometheus-addr", "127.0.0.1:0", "--prometheus-linger", "10s"}, args...))
	if res.Exit != 0 {
		t.Fatalf("exit %d", res.Exit)
	}
	compareExact(t, expected, out)
	last := w.check(t, out)
	for _, n := range []string{"aggregator_token_queue_length", "aggregator_token_cache_hits_total", "aggregator_token_cache_hit_ratio",
		"aggregator_token_worker_starts_total"} {
		if _, ok := last[n]; !ok {
			t.Errorf("last scrape lacks %s", n)
		}
	}
	if got := last.get("aggregator_token_worker_starts_total", "lane", "live"); !(got >= 1) {
		t.Errorf("live worker starts %v, want >= 1", got)
	}
	w.mu.Lock()
	running := false
	for _, s := range w.scrapes {
		running = running || s.get("aggregator_token_worker_state", "lane", "live", "state", "running") == 1
	}
	w.mu.Unlock()
	// (A -race worker may come up only after this short run.)
	if !running && !raceEnabled {
		t.Error("the live lane was never scraped running")
	}
	if got := last.get("aggregator_token_worker_state", "lane", "live", "state", "none"); got != 1 {
		t.Errorf("after the run the live lane state none = %v, want 1", got)
	}
	noOrphans(t)
}

// TestDaemonPrometheusBadAddr: a malformed address or a port in use is a
// start-up failure: exit 1 with one FATAL line naming the flag.
func TestDaemonPrometheusBadAddr(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for name, c := range map[string]struct{ addr, want string }{
		"in use":    {busy.Addr().String(), "address already in use"},
		"in use :P": {":" + strings.Split(busy.Addr().String(), ":")[1], "address already in use"},
		"no port":   {"9464", "HOST:PORT"},
		"bad port":  {":99999", "port"},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(binPath, "--socket-dir", t.TempDir(), "--socket-name", "ev", "--metrics-socket", "met",
				"--metrics-output-dir", t.TempDir(), "--prometheus-addr", c.addr)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("err %v, want exit 1; stderr:\n%s", err, stderr.String())
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "FATAL: ") {
				t.Fatalf("want one FATAL line, got:\n%s", stderr.String())
			}
			if !strings.Contains(lines[0], "--prometheus-addr") || !strings.Contains(lines[0], c.want) {
				t.Errorf("FATAL line %q does not name --prometheus-addr and %q", lines[0], c.want)
			}
		})
	}
}
