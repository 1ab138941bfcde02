package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mlperf-tools/aggregator/pkg/promexport"
)

// The shipped monitoring set-up: Prometheus's scrape config and recording
// rules, Grafana's dashboard and provisioning files.
const (
	promDir        = "../../deploy/prometheus"
	promConfig     = promDir + "/prometheus.yml"
	promRules      = promDir + "/aggregator.rules.yml"
	grafanaDir     = "../../deploy/grafana"
	dashboardFile  = grafanaDir + "/aggregator-dashboard.json"
	provDatasource = grafanaDir + "/provisioning/datasources/aggregator.yml"
	provDashboards = grafanaDir + "/provisioning/dashboards/aggregator.yml"
)

// testScrapeInterval is the scrape and rule-evaluation interval of the
// test's Prometheus (the shipped config says 1s), and testRateInterval
// what Grafana makes of $__rate_interval with it (four scrape intervals,
// the data source's timeInterval set to the scrape interval).
const (
	testScrapeInterval = 250 * time.Millisecond
	testRateInterval   = "1s"
)

// wantSample is one sample a final scrape must carry: a metric name, label
// name/value pairs, and its value.
type wantSample struct {
	name   string
	labels []string
	value  float64
}

// quantileLabels are the final snapshot's percentile keys exported as
// summary quantiles, with the quantile label Prometheus stores.
var quantileLabels = map[string]string{"50.0": "0.5", "90.0": "0.9", "95.0": "0.95", "99.0": "0.99", "99.9": "0.999"}

// finalSamples reads OUT/final_snapshot.json (as JSON, not through our
// snapshot package) and lists the samples the endpoint's final scrape
// must carry for it: every counter (a duration in ns as seconds), every
// series' count, sum, quantiles 0.5 to 0.999, minimum (quantile 0) and
// maximum (quantile 1), n_pending_tasks and the state. Names are mapped
// by promexport.MetricName, whose table TestMetricNames pins.
func finalSamples(t *testing.T, out string) []wantSample {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "final_snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		State         string           `json:"state"`
		NPendingTasks float64          `json:"n_pending_tasks"`
		Metrics       []map[string]any `json:"metrics"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	ws := []wantSample{
		{"aggregator_n_pending_tasks", nil, file.NPendingTasks},
		{"aggregator_state", []string{"state", file.State}, 1},
	}
	for _, m := range file.Metrics {
		name := m["name"].(string)
		div := 1.0
		if strings.HasSuffix(name, "_ns") {
			div = 1e9
		}
		switch m["type"] {
		case "counter":
			n, ln, lv := promexport.MetricName(name, false)
			var labels []string
			if ln != "" {
				labels = []string{ln, lv}
			}
			ws = append(ws, wantSample{n, labels, m["value"].(float64) / div})
		case "series":
			n, _, _ := promexport.MetricName(name, true)
			count := m["count"].(float64)
			ws = append(ws, wantSample{n + "_count", nil, count}, wantSample{n + "_sum", nil, m["total"].(float64) / div})
			q := func(label string, v float64) {
				if count == 0 {
					v = math.NaN()
				}
				ws = append(ws, wantSample{n, []string{"quantile", label}, v})
			}
			q("0", m["min"].(float64)/div)
			q("1", m["max"].(float64)/div)
			for key, label := range quantileLabels {
				q(label, m["percentiles"].(map[string]any)[key].(float64)/div)
			}
		}
	}
	return ws
}

// promServer is Debian's prometheus serving the shipped config and rules
// (intervals shortened) from a temporary directory, on a loopback port.
type promServer struct {
	url, dir string
	cmd      *exec.Cmd
	log      string
}

// startPrometheus copies the shipped config and rules into a temporary
// directory with the test's intervals and no targets, starts prometheus
// on a free loopback port and waits until it is ready. It is stopped at
// the end of the test.
func startPrometheus(t *testing.T) *promServer {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("Debian's prometheus not installed (scripts/install-deps.sh)")
	}
	dir := t.TempDir()
	var cfg map[string]any
	b, err := os.ReadFile(promConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	global := cfg["global"].(map[string]any)
	for _, k := range []string{"scrape_interval", "scrape_timeout", "evaluation_interval"} {
		if _, ok := global[k]; !ok {
			t.Fatalf("%s: no global %s", promConfig, k)
		}
		global[k] = testScrapeInterval.String()
	}
	if b, err = yaml.Marshal(cfg); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	rules, err := os.ReadFile(promRules)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.Base(promRules)), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "runs"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A free port, found by binding :0 first; a lost race with another
	// process shows as an early exit, and the next try takes another port.
	for try := 0; try < 3; try++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		ps := &promServer{url: "http://" + addr, dir: dir, log: filepath.Join(dir, fmt.Sprintf("prometheus.%d.log", try))}
		logf, err := os.Create(ps.log)
		if err != nil {
			t.Fatal(err)
		}
		ps.cmd = exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
			"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr, "--log.level=warn")
		ps.cmd.Stdout, ps.cmd.Stderr = logf, logf
		if err := ps.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		logf.Close()
		exited := make(chan struct{})
		go func() { ps.cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			ps.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				ps.cmd.Process.Kill()
				<-exited
			}
		})
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case <-exited:
				deadline = time.Time{}
				continue
			case <-time.After(100 * time.Millisecond):
			}
			if resp, err := http.Get(ps.url + "/-/ready"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return ps
				}
			}
		}
		logb, _ := os.ReadFile(ps.log)
		t.Logf("prometheus on %s did not come up:\n%s", addr, logb)
	}
	t.Fatal("prometheus did not start")
	return nil
}

// addTarget makes the daemon at addr a target of the run (a file of
// runs/, written whole by a rename, as file service discovery wants).
func (ps *promServer) addTarget(t *testing.T, run, addr string) {
	tmp := filepath.Join(ps.dir, run+".tmp")
	body := fmt.Sprintf("- targets: ['%s']\n  labels:\n    run: %s\n", addr, run)
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		t.Error(err)
		return
	}
	if err := os.Rename(tmp, filepath.Join(ps.dir, "runs", run+".yml")); err != nil {
		t.Error(err)
	}
}

// api GETs a Prometheus HTTP API path and decodes its data.
func (ps *promServer) api(path string, params url.Values, data any) error {
	resp, err := http.Get(ps.url + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Status    string          `json:"status"`
		Data      json.RawMessage `json:"data"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if r.Status != "success" {
		return fmt.Errorf("%s %v: %s: %s", path, params, r.ErrorType, r.Error)
	}
	return json.Unmarshal(r.Data, data)
}

// promSeries is one series of a matrix result.
type promSeries struct {
	Metric map[string]string `json:"metric"`
	Values [][2]any          `json:"values"`
}

func (s promSeries) value(i int) float64 {
	v, _ := strconv.ParseFloat(s.Values[i][1].(string), 64)
	return v
}

// queryRange runs expr over [start, end] at the test's scrape interval,
// as a Grafana panel does.
func (ps *promServer) queryRange(expr string, start, end time.Time) ([]promSeries, error) {
	var d struct {
		ResultType string       `json:"resultType"`
		Result     []promSeries `json:"result"`
	}
	err := ps.api("/api/v1/query_range", url.Values{"query": {expr}, "start": {unix(start)}, "end": {unix(end)},
		"step": {strconv.FormatFloat(testScrapeInterval.Seconds(), 'f', -1, 64)}}, &d)
	return d.Result, err
}

func unix(t time.Time) string { return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', 3, 64) }

// hasNumber reports whether any point of the result is a number (not NaN).
func hasNumber(res []promSeries) bool {
	for _, s := range res {
		for i := range s.Values {
			if !math.IsNaN(s.value(i)) {
				return true
			}
		}
	}
	return false
}

// lastSamples returns the last stored sample of every aggregator_ series
// of run (a range selector skips the staleness markers written after the
// daemon exited), keyed by seriesKey.
func (ps *promServer) lastSamples(t *testing.T, run string, at time.Time) map[string]float64 {
	t.Helper()
	var d struct {
		Result []promSeries `json:"result"`
	}
	if err := ps.api("/api/v1/query", url.Values{"query": {`{__name__=~"aggregator_.+", run="` + run + `"}[5m]`}, "time": {unix(at)}}, &d); err != nil {
		t.Fatal(err)
	}
	last := make(map[string]float64, len(d.Result))
	for _, s := range d.Result {
		name := s.Metric["__name__"]
		var labels []string
		for k, v := range s.Metric {
			if k == "state" || k == "reason" || k == "quantile" {
				labels = append(labels, k, v)
			}
		}
		last[seriesKey(name, labels...)] = s.value(len(s.Values) - 1)
	}
	return last
}

func seriesKey(name string, labels ...string) string {
	if len(labels) == 0 {
		return name
	}
	return name + fmt.Sprint(labels)
}

// dashboardEvents writes a streaming run of n samples whose token work
// all goes to the end-of-run drain (--tokenizer-workers 0): text prompts
// (every fourth one a shardworker sleep item, so the drain takes a while
// and crosses several sub-batches), chunked outputs, a few client errors
// and two finish reasons. Sent in paced batches it keeps samples in
// flight and the token backlog growing for the length of the run.
func dashboardEvents(t *testing.T, n int, sleep time.Duration) string {
	t.Helper()
	l := newEventLog(t)
	line := l.add
	line("session.started", "", nil)
	line("session.start_performance_tracking", "", nil)
	const window = 16
	for lo := 0; lo < n; lo += window {
		hi := min(lo+window, n)
		for i := lo; i < hi; i++ {
			l.ts += 200_000
			prompt := fmt.Sprintf("Prompt %d: summarise the benchmark run in %d words.", i, 10+i%50)
			if i%4 == 0 {
				prompt = fmt.Sprintf("\x00shardworker-test:sleep=%dns", sleep.Nanoseconds()+int64(i))
			}
			line("sample.issued", fmt.Sprintf("%032x", i+1), []any{"PromptData", prompt})
		}
		for i := lo; i < hi; i++ {
			uuid := fmt.Sprintf("%032x", i+1)
			l.ts += 30_000_000 + int64(i%7)*1_000_000
			line("sample.recv_first", uuid, nil)
			l.ts += 5_000_000
			line("sample.recv_non_first", uuid, nil)
			l.ts += 5_000_000
			line("sample.recv_non_first", uuid, nil)
			if i%25 == 3 {
				line("error.client", uuid, []any{"ErrorData", "ClientError", "connection reset"})
			}
			finish := "stop"
			if i%7 == 0 {
				finish = "length"
			}
			l.ts += 5_000_000
			line("sample.complete", uuid, []any{"TextModelOutput", []any{fmt.Sprintf("Answer %d ", i), "runs for a while, ", fmt.Sprintf("then ends after %d tokens.", i%90)}}, "finish_reason", finish)
		}
	}
	l.ts += 1000
	line("session.stop_performance_tracking", "", nil)
	line("session.ended", "", nil)
	return l.write("dashboard.jsonl")
}

// dashboardRun is one daemon run the test's Prometheus scrapes.
type dashboardRun struct {
	name string
	lint bool         // keep an exposition of the drain for promtool
	want []wantSample // from its final_snapshot.json

	mu     sync.Mutex
	addr   string
	expo   []byte // the latest exposition scraped by the test itself
	drainy bool   // expo has drain progress: the test scrapes no more
}

// during finds the daemon's endpoint in its log and makes it a target of
// the test's Prometheus. With lint it also scrapes the endpoint itself
// until it has an exposition with drain progress, and then stops: the
// daemon exits after the first scrape of its final numbers, which must be
// Prometheus's.
func (r *dashboardRun) during(t *testing.T, ps *promServer) func(string, <-chan struct{}) {
	return func(out string, stop <-chan struct{}) {
		client := &http.Client{Timeout: 2 * time.Second}
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			r.mu.Lock()
			addr := r.addr
			r.mu.Unlock()
			if addr == "" {
				b, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
				m := promAddrRe.FindSubmatch(b)
				if m == nil {
					continue
				}
				addr = string(m[1])
				ps.addTarget(t, r.name, addr)
				r.mu.Lock()
				r.addr = addr
				r.mu.Unlock()
			}
			if !r.lint || r.drainy {
				continue
			}
			resp, err := client.Get("http://" + addr + "/metrics")
			if err != nil {
				continue
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				continue
			}
			r.mu.Lock()
			r.expo = b
			r.drainy = bytes.Contains(b, []byte("\naggregator_drain_items "))
			r.mu.Unlock()
		}
	}
}

// TestPrometheusServerDashboard: Debian's prometheus server, with the
// shipped scrape config and recording rules (at 250 ms), scrapes two real
// daemons driven by real libzmq publishers at once, told apart by their
// run labels: a streaming run with the real Llama-3 tokenizer whose token
// work all goes to a drain slowed by sleep items (token backlog, drain
// progress, worker states), and the streaming golden. Through
// Prometheus's HTTP API: every recording rule is healthy and records data
// for the tokenizer run; the drain's progress is seen part-way and then
// complete; every panel query of the shipped Grafana dashboard (with
// $run and $__rate_interval substituted as Grafana would) returns numbers
// over the run; the run variable's query lists both runs; the last
// scraped samples equal each run's final_snapshot.json. promtool passes
// the shipped config, the rules, and a live exposition.
func TestPrometheusServerDashboard(t *testing.T) {
	t.Parallel()
	needPeers(t)
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("Debian's prometheus (promtool) not installed (scripts/install-deps.sh)")
	}
	for _, args := range [][]string{{"check", "config", promConfig}, {"check", "rules", promRules}} {
		if b, err := exec.Command(promtool, args...).CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	dir := tokenizerDir(t)
	ps := startPrometheus(t)
	events := dashboardEvents(t, 600, 20*time.Millisecond)
	golden := golden(t, "streaming")

	runs := []*dashboardRun{{name: "tokens", lint: true}, {name: "golden"}}
	start := time.Now()
	t.Run("runs", func(t *testing.T) {
		t.Run("tokens", func(t *testing.T) {
			t.Parallel()
			r := runs[0]
			res, out := launchEnv(t, events, slowEnv, r.during(t, ps), []string{"--batch", "40", "--pace", "0.05"},
				[]string{"--streaming", "--publish-interval", "0.1", "--tokenizer", dir, "--tokenizer-workers", "0",
					"--prometheus-addr", "127.0.0.1:0", "--prometheus-linger", "10s"})
			if res.Exit != 0 {
				t.Fatalf("exit %d", res.Exit)
			}
			r.want = finalSamples(t, out)
			noOrphans(t)
		})
		t.Run("golden", func(t *testing.T) {
			t.Parallel()
			r := runs[1]
			res, out := launchEnv(t, filepath.Join(golden.dir, "events.jsonl.gz"), nil, r.during(t, ps), []string{"--batch", "50", "--pace", "0.05"},
				append([]string{"--publish-interval", "0.1", "--prometheus-addr", "127.0.0.1:0", "--prometheus-linger", "10s"}, golden.args...))
			if res.Exit != 0 {
				t.Fatalf("exit %d", res.Exit)
			}
			compareFinal(t, golden, out)
			r.want = finalSamples(t, out)
		})
	})
	if t.Failed() {
		return
	}

	// The daemons exit only after a scrape collected their final numbers
	// (--prometheus-linger); wait until Prometheus has stored them.
	deadline := time.Now().Add(10 * time.Second)
	for _, r := range runs {
		for {
			last := ps.lastSamples(t, r.name, time.Now())
			if last[seriesKey("aggregator_state", "state", "complete")] == 1 {
				break
			}
			if time.Now().After(deadline) {
				logb, _ := os.ReadFile(ps.log)
				t.Fatalf("run %s: Prometheus never stored the complete state; prometheus log:\n%s", r.name, logb)
			}
			time.Sleep(testScrapeInterval)
		}
	}
	end := time.Now()

	t.Run("final", func(t *testing.T) {
		for _, r := range runs {
			last := ps.lastSamples(t, r.name, end)
			for _, w := range r.want {
				got, ok := last[seriesKey(w.name, w.labels...)]
				if !ok {
					t.Errorf("run %s: Prometheus has no %s%v", r.name, w.name, w.labels)
				} else if got != w.value && !(math.IsNaN(got) && math.IsNaN(w.value)) {
					t.Errorf("run %s: last scraped %s%v = %v, final_snapshot.json %v", r.name, w.name, w.labels, got, w.value)
				}
			}
			t.Logf("run %s: %d samples compared with final_snapshot.json", r.name, len(r.want))
		}
	})

	t.Run("rules", func(t *testing.T) {
		var d struct {
			Groups []struct {
				Name  string `json:"name"`
				Rules []struct {
					Name      string `json:"name"`
					Query     string `json:"query"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
					Type      string `json:"type"`
				} `json:"rules"`
			} `json:"groups"`
		}
		if err := ps.api("/api/v1/rules", nil, &d); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, g := range d.Groups {
			for _, rule := range g.Rules {
				n++
				if rule.Type != "recording" || rule.Health != "ok" || rule.LastError != "" {
					t.Errorf("rule %s: type %s health %s error %q", rule.Name, rule.Type, rule.Health, rule.LastError)
				}
				res, err := ps.queryRange(rule.Name+`{run="tokens"}`, start, end)
				if err != nil {
					t.Errorf("rule %s: %v", rule.Name, err)
				} else if !hasNumber(res) {
					t.Errorf("rule %s recorded no number for run tokens (%s)", rule.Name, rule.Query)
				}
			}
		}
		if want := strings.Count(mustRead(t, promRules), "- record: "); n != want {
			t.Errorf("Prometheus loaded %d rules, the file has %d", n, want)
		}
		// The drain's progress was seen part-way, and complete at the end.
		res, err := ps.queryRange(`run:aggregator_drain_progress:ratio{run="tokens"}`, start, end)
		if err != nil || len(res) != 1 {
			t.Fatalf("drain progress: %v %v", res, err)
		}
		var partial []float64
		for i := range res[0].Values {
			if v := res[0].value(i); v > 0 && v < 1 {
				partial = append(partial, v)
			}
		}
		if len(partial) == 0 {
			t.Error("the drain's progress was never seen part-way")
		}
		// The end is read from the scraped series: the rule's last
		// evaluation may precede the final scrape, after which the daemon
		// exits and the series goes stale.
		last := ps.lastSamples(t, "tokens", end)
		if v, ok := last["aggregator_drain_progress_ratio"]; !ok || v != 1 {
			t.Errorf("drain progress at the end %v (stored: %v), want 1", v, ok)
		}
		t.Logf("drain progress part-way: %v", slices.Compact(partial))
	})

	t.Run("dashboard", func(t *testing.T) {
		d := readDashboard(t)
		var names []string
		if err := ps.api("/api/v1/label/run/values", url.Values{"match[]": {runVariableMetric(t, d)}, "start": {unix(start)}, "end": {unix(end)}}, &names); err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if !slices.Contains(names, r.name) {
				t.Errorf("the run variable lists %v, not %s", names, r.name)
			}
		}
		n := 0
		for _, p := range d.panelsWithTargets() {
			for _, tg := range p.Targets {
				n++
				expr := grafanaExpr(tg.Expr, "tokens")
				res, err := ps.queryRange(expr, start, end)
				if err != nil {
					t.Errorf("panel %q %s: %v", p.Title, tg.RefID, err)
				} else if !hasNumber(res) {
					t.Errorf("panel %q %s returned no data: %s", p.Title, tg.RefID, expr)
				}
			}
		}
		t.Logf("%d panel queries returned data", n)
	})

	t.Run("promtool check metrics", func(t *testing.T) {
		r := runs[0]
		r.mu.Lock()
		expo, drainy := r.expo, r.drainy
		r.mu.Unlock()
		if !drainy {
			t.Error("no exposition with drain progress was scraped during the drain")
		}
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(expo)
		if b, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(b)) > 0 {
			t.Errorf("promtool check metrics: %v\n%s", err, b)
		}
	})
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// grafanaExpr substitutes a panel query's variables as Grafana would for
// one run selected, on a data source whose timeInterval is the test's
// scrape interval.
func grafanaExpr(expr, run string) string {
	return strings.NewReplacer("$__rate_interval", testRateInterval, "${run}", run, "$run", run).Replace(expr)
}

// dashboard is the part of a Grafana dashboard JSON the tests read.
type dashboard struct {
	UID           string           `json:"uid"`
	Title         string           `json:"title"`
	SchemaVersion int              `json:"schemaVersion"`
	Panels        []dashboardPanel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string         `json:"name"`
			Type       string         `json:"type"`
			Query      any            `json:"query"`
			Datasource *dashboardDS   `json:"datasource"`
			Multi      bool           `json:"multi"`
			IncludeAll bool           `json:"includeAll"`
			Current    map[string]any `json:"current"`
		} `json:"list"`
	} `json:"templating"`
}

type dashboardDS struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type dashboardPanel struct {
	ID         int          `json:"id"`
	Type       string       `json:"type"`
	Title      string       `json:"title"`
	Datasource *dashboardDS `json:"datasource"`
	GridPos    struct{ H, W, X, Y int }
	Panels     []dashboardPanel `json:"panels"` // a collapsed row's
	Targets    []struct {
		RefID      string       `json:"refId"`
		Expr       string       `json:"expr"`
		Datasource *dashboardDS `json:"datasource"`
	} `json:"targets"`
}

func readDashboard(t *testing.T) *dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal([]byte(mustRead(t, dashboardFile)), &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return &d
}

// panelsWithTargets lists every panel that is not a row (rows' own
// panels included).
func (d *dashboard) panelsWithTargets() []dashboardPanel {
	var ps []dashboardPanel
	for _, p := range d.Panels {
		if p.Type == "row" {
			ps = append(ps, p.Panels...)
			continue
		}
		ps = append(ps, p)
	}
	return ps
}

// runVariableMetric returns the metric the run variable's
// label_values(METRIC, run) query reads.
func runVariableMetric(t *testing.T, d *dashboard) string {
	t.Helper()
	for _, v := range d.Templating.List {
		if v.Name != "run" {
			continue
		}
		q := v.Query
		if m, ok := q.(map[string]any); ok {
			q = m["query"]
		}
		s, _ := q.(string)
		m := regexp.MustCompile(`^label_values\((\w+),\s*run\)$`).FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("run variable query %q, want label_values(METRIC, run)", s)
		}
		return m[1]
	}
	t.Fatal("no run variable")
	return ""
}

// TestGrafanaDashboard checks the shipped dashboard JSON as Grafana would
// need it (no Grafana server runs here): a schema version current Grafana
// accepts, one Prometheus data-source variable that every panel and query
// uses, a run selector reading the run label, panels with unique ids
// placed on the 24-column grid, every panel with targets, every target
// an expression filtered by the selected run; and the provisioning files
// for the data source and the dashboard.
func TestGrafanaDashboard(t *testing.T) {
	t.Parallel()
	d := readDashboard(t)
	// Grafana 10.0 writes 38, 11.x 39–41; older ones are migrated on load.
	if d.SchemaVersion < 36 || d.SchemaVersion > 41 {
		t.Errorf("schemaVersion %d, want 36..41", d.SchemaVersion)
	}
	if d.UID == "" || d.Title == "" {
		t.Errorf("uid %q title %q", d.UID, d.Title)
	}
	var dsVars, runVars int
	for _, v := range d.Templating.List {
		switch {
		case v.Type == "datasource":
			dsVars++
			if v.Name != "datasource" || v.Query != "prometheus" {
				t.Errorf("data-source variable %q of %v, want datasource of prometheus", v.Name, v.Query)
			}
		case v.Name == "run":
			runVars++
			if v.Type != "query" || v.Datasource == nil || v.Datasource.UID != "${datasource}" || !v.Multi || !v.IncludeAll {
				t.Errorf("run variable: type %s datasource %+v multi %v includeAll %v", v.Type, v.Datasource, v.Multi, v.IncludeAll)
			}
			if len(v.Current) != 0 {
				t.Errorf("run variable has a saved selection %v", v.Current)
			}
		}
	}
	if dsVars != 1 || runVars != 1 {
		t.Errorf("%d data-source and %d run variables, want one each", dsVars, runVars)
	}
	if m := runVariableMetric(t, d); m != "aggregator_run_info" {
		t.Errorf("run variable reads %s, want aggregator_run_info", m)
	}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if g := p.GridPos; g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q gridPos %+v off the 24-column grid", p.Title, g)
		}
	}
	panels := d.panelsWithTargets()
	if len(panels) < 12 {
		t.Errorf("%d panels, want the live-run set (>= 12)", len(panels))
	}
	isDS := func(ds *dashboardDS) bool { return ds != nil && ds.Type == "prometheus" && ds.UID == "${datasource}" }
	runSel := regexp.MustCompile(`\{[^}]*run=~"\$run"`)
	for _, p := range panels {
		if !slices.Contains([]string{"timeseries", "stat", "bargauge", "gauge", "state-timeline"}, p.Type) {
			t.Errorf("panel %q: type %s", p.Title, p.Type)
		}
		if !isDS(p.Datasource) {
			t.Errorf("panel %q: datasource %+v, want the ${datasource} variable", p.Title, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no targets", p.Title)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("panel %q: refId %q empty or twice", p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
			if strings.TrimSpace(tg.Expr) == "" || !isDS(tg.Datasource) {
				t.Errorf("panel %q %s: expr %q datasource %+v", p.Title, tg.RefID, tg.Expr, tg.Datasource)
			}
			if !runSel.MatchString(tg.Expr) {
				t.Errorf("panel %q %s: %s does not select the run", p.Title, tg.RefID, tg.Expr)
			}
		}
	}

	// Provisioning: a Prometheus data source, and a file provider.
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name, Type, UID, URL, Access string
			JSONData                     map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal([]byte(mustRead(t, provDatasource)), &ds); err != nil {
		t.Fatal(err)
	}
	if ds.APIVersion != 1 || len(ds.Datasources) != 1 {
		t.Fatalf("%s: apiVersion %d, %d data sources", provDatasource, ds.APIVersion, len(ds.Datasources))
	}
	if s := ds.Datasources[0]; s.Type != "prometheus" || s.Access != "proxy" || !strings.HasPrefix(s.URL, "http") || s.Name == "" {
		t.Errorf("%s: %+v", provDatasource, s)
	} else if ti, _ := s.JSONData["timeInterval"].(string); ti != globalScrapeInterval(t) {
		t.Errorf("%s: timeInterval %q, want the scrape interval %s", provDatasource, ti, globalScrapeInterval(t))
	}
	var prov struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name, Type string
			Options    struct{ Path string }
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal([]byte(mustRead(t, provDashboards)), &prov); err != nil {
		t.Fatal(err)
	}
	if prov.APIVersion != 1 || len(prov.Providers) != 1 || prov.Providers[0].Type != "file" || !filepath.IsAbs(prov.Providers[0].Options.Path) {
		t.Errorf("%s: %+v", provDashboards, prov)
	}
}

// globalScrapeInterval is the shipped config's scrape interval.
func globalScrapeInterval(t *testing.T) string {
	t.Helper()
	var cfg struct {
		Global struct {
			ScrapeInterval string `yaml:"scrape_interval"`
		} `yaml:"global"`
	}
	if err := yaml.Unmarshal([]byte(mustRead(t, promConfig)), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Global.ScrapeInterval
}
