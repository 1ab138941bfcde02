package promexport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
	"github.com/mlperf-tools/aggregator/pkg/tokqueue"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
	"github.com/mlperf-tools/aggregator/pkg/transport"
)

// gridKeys is upstream's default percentile grid as the snapshot keys it.
var gridKeys = []string{"99.9", "99.0", "97.0", "95.0", "90.0", "80.0", "75.0", "50.0", "25.0", "10.0", "5.0", "1.0"}

// knownSnapshot is a small live snapshot: three counters, a latency series
// on the full grid (percentile k = 1000*(k+1)), a float series, and an
// empty series.
func knownSnapshot() *snapshot.Snapshot {
	s := &snapshot.Snapshot{Counter: 7, TimestampNs: 123, State: snapshot.Live, NPendingTasks: 3,
		Counters: []snapshot.Counter{
			{Name: "total_samples_issued", Value: snapshot.Int(120)},
			{Name: "total_samples_completed", Value: snapshot.Int(100)},
			{Name: "tracked_finish_reason_stop", Value: snapshot.Int(90)},
			{Name: "tracked_finish_reason_length", Value: snapshot.Int(10)},
			{Name: "tracked_duration_ns", Value: snapshot.Int(2_500_000_000)},
		}}
	lat := snapshot.Series{Name: "sample_latency_ns", Count: 100, Total: snapshot.Int(5_000_000),
		Min: snapshot.Int(1000), Max: snapshot.Int(99_000), SumSq: snapshot.Float(1e12)}
	for k, key := range gridKeys {
		lat.Percentiles = append(lat.Percentiles, snapshot.Percentile{Key: key, Value: float64(1000 * (12 - k))})
	}
	tpot := snapshot.Series{Name: "tpot_ns", Count: 2, Total: snapshot.Float(3.5),
		Min: snapshot.Float(1.25), Max: snapshot.Float(2.25), SumSq: snapshot.Float(6.625)}
	for _, key := range gridKeys {
		tpot.Percentiles = append(tpot.Percentiles, snapshot.Percentile{Key: key, Value: 2.25})
	}
	empty := snapshot.Series{Name: "osl", Total: snapshot.Int(0), Min: snapshot.Int(0), Max: snapshot.Int(0), SumSq: snapshot.Int(0)}
	for _, key := range gridKeys {
		empty.Percentiles = append(empty.Percentiles, snapshot.Percentile{Key: key})
	}
	s.Series = []snapshot.Series{lat, tpot, empty}
	return s
}

func knownHealth() *Health {
	return &Health{
		Events: 500, DecodeErrors: 2, FramesDropped: 1,
		Subscriber: transport.SubscriberStats{Frames: 40, Bytes: 4096, Connects: 1},
		Publisher: transport.PublisherStats{Published: 9, Dropped: 4,
			Peers: []transport.PeerStats{{ID: 1, Queued: 2}, {ID: 2, Queued: 1}}},
		Tokens:        true,
		TokenQueue:    tokqueue.Stats{Pending: 3, CacheHits: 30, CacheMisses: 10, HitRate: 0.75, DistinctTextsCached: 10, ItemErrors: 1, Rendered: 5},
		TokenQueueLen: 6,
		LiveLane:      true,
	}
}

// newExporter is an Exporter without a server, for the collector alone.
func newExporter() *Exporter {
	return &Exporter{start: time.Now(), finalServed: make(chan struct{})}
}

const goldenText = `
# HELP aggregator_n_pending_tasks Token work enqueued and not yet recorded (the snapshot's n_pending_tasks).
# TYPE aggregator_n_pending_tasks gauge
aggregator_n_pending_tasks 3
# HELP aggregator_osl_tokens Snapshot series osl: quantiles 0.5 to 0.999 (the live HDR view; exact in the final snapshot), 0 the minimum and 1 the maximum, count and total.
# TYPE aggregator_osl_tokens summary
aggregator_osl_tokens{quantile="0"} NaN
aggregator_osl_tokens{quantile="0.5"} NaN
aggregator_osl_tokens{quantile="0.9"} NaN
aggregator_osl_tokens{quantile="0.95"} NaN
aggregator_osl_tokens{quantile="0.99"} NaN
aggregator_osl_tokens{quantile="0.999"} NaN
aggregator_osl_tokens{quantile="1"} NaN
aggregator_osl_tokens_sum 0
aggregator_osl_tokens_count 0
# HELP aggregator_sample_latency_seconds Snapshot series sample_latency_ns in seconds: quantiles 0.5 to 0.999 (the live HDR view; exact in the final snapshot), 0 the minimum and 1 the maximum, count and total.
# TYPE aggregator_sample_latency_seconds summary
aggregator_sample_latency_seconds{quantile="0"} 1e-06
aggregator_sample_latency_seconds{quantile="0.5"} 5e-06
aggregator_sample_latency_seconds{quantile="0.9"} 8e-06
aggregator_sample_latency_seconds{quantile="0.95"} 9e-06
aggregator_sample_latency_seconds{quantile="0.99"} 1.1e-05
aggregator_sample_latency_seconds{quantile="0.999"} 1.2e-05
aggregator_sample_latency_seconds{quantile="1"} 9.9e-05
aggregator_sample_latency_seconds_sum 0.005
aggregator_sample_latency_seconds_count 100
# HELP aggregator_samples_completed_total Snapshot counter total_samples_completed (latest live or final snapshot).
# TYPE aggregator_samples_completed_total counter
aggregator_samples_completed_total 100
# HELP aggregator_samples_issued_total Snapshot counter total_samples_issued (latest live or final snapshot).
# TYPE aggregator_samples_issued_total counter
aggregator_samples_issued_total 120
# HELP aggregator_snapshot_sequence The latest snapshot's counter field: its sequence number (snapshots built so far).
# TYPE aggregator_snapshot_sequence gauge
aggregator_snapshot_sequence 7
# HELP aggregator_state Session state of the latest snapshot: 1 for the current state, 0 for the others.
# TYPE aggregator_state gauge
aggregator_state{state="complete"} 0
aggregator_state{state="draining"} 0
aggregator_state{state="initialize"} 0
aggregator_state{state="interrupted"} 0
aggregator_state{state="live"} 1
# HELP aggregator_tpot_seconds Snapshot series tpot_ns in seconds: quantiles 0.5 to 0.999 (the live HDR view; exact in the final snapshot), 0 the minimum and 1 the maximum, count and total.
# TYPE aggregator_tpot_seconds summary
aggregator_tpot_seconds{quantile="0"} 1.25e-09
aggregator_tpot_seconds{quantile="0.5"} 2.25e-09
aggregator_tpot_seconds{quantile="0.9"} 2.25e-09
aggregator_tpot_seconds{quantile="0.95"} 2.25e-09
aggregator_tpot_seconds{quantile="0.99"} 2.25e-09
aggregator_tpot_seconds{quantile="0.999"} 2.25e-09
aggregator_tpot_seconds{quantile="1"} 2.25e-09
aggregator_tpot_seconds_sum 3.5e-09
aggregator_tpot_seconds_count 2
# HELP aggregator_tracked_duration_seconds Snapshot counter tracked_duration_ns in seconds (latest live or final snapshot; a duration set from event times, so a gauge).
# TYPE aggregator_tracked_duration_seconds gauge
aggregator_tracked_duration_seconds 2.5
# HELP aggregator_tracked_finish_reasons_total Snapshot counters tracked_finish_reason_REASON: tracked samples completed with each finish reason (latest live or final snapshot).
# TYPE aggregator_tracked_finish_reasons_total counter
aggregator_tracked_finish_reasons_total{reason="length"} 10
aggregator_tracked_finish_reasons_total{reason="stop"} 90
# HELP aggregator_decode_errors_total Malformed or dropped event payloads (malformed ones count as error.generic).
# TYPE aggregator_decode_errors_total counter
aggregator_decode_errors_total 2
# HELP aggregator_events_decoded_total Event records decoded and folded.
# TYPE aggregator_events_decoded_total counter
aggregator_events_decoded_total 500
# HELP aggregator_frames_dropped_total Undecodable event frames dropped whole.
# TYPE aggregator_frames_dropped_total counter
aggregator_frames_dropped_total 1
# HELP aggregator_frames_received_total Event frames received from the load generator's PUB socket.
# TYPE aggregator_frames_received_total counter
aggregator_frames_received_total 40
# HELP aggregator_publisher_frames_dropped_total Snapshot frames dropped on full reader queues (oldest first), all readers.
# TYPE aggregator_publisher_frames_dropped_total counter
aggregator_publisher_frames_dropped_total 4
# HELP aggregator_publisher_peers Readers connected to the snapshot PUB socket.
# TYPE aggregator_publisher_peers gauge
aggregator_publisher_peers 2
# HELP aggregator_publisher_queued_frames Snapshot frames waiting in reader queues.
# TYPE aggregator_publisher_queued_frames gauge
aggregator_publisher_queued_frames 3
# HELP aggregator_token_cache_hit_ratio Count-cache hit ratio so far.
# TYPE aggregator_token_cache_hit_ratio gauge
aggregator_token_cache_hit_ratio 0.75
# HELP aggregator_token_queue_length Token jobs in the queue (not yet taken or recorded).
# TYPE aggregator_token_queue_length gauge
aggregator_token_queue_length 6
# HELP aggregator_token_worker_restarts_total Token workers started again after an earlier worker on the same CPUs (a restart after a death).
# TYPE aggregator_token_worker_restarts_total counter
aggregator_token_worker_restarts_total{lane="drain"} 0
aggregator_token_worker_restarts_total{lane="live"} 1
# HELP aggregator_token_worker_state Token lane state: 1 for the current one of none, starting, running, restarting.
# TYPE aggregator_token_worker_state gauge
aggregator_token_worker_state{lane="drain",state="none"} 1
aggregator_token_worker_state{lane="drain",state="restarting"} 0
aggregator_token_worker_state{lane="drain",state="running"} 0
aggregator_token_worker_state{lane="drain",state="starting"} 0
aggregator_token_worker_state{lane="live",state="none"} 0
aggregator_token_worker_state{lane="live",state="restarting"} 0
aggregator_token_worker_state{lane="live",state="running"} 1
aggregator_token_worker_state{lane="live",state="starting"} 0
# HELP aggregator_token_workers_running Token worker processes up in the lane.
# TYPE aggregator_token_workers_running gauge
aggregator_token_workers_running{lane="drain"} 0
aggregator_token_workers_running{lane="live"} 1
`

// goldenNames are the families goldenText pins (time-dependent ones are
// checked separately).
var goldenNames = []string{
	"aggregator_n_pending_tasks",
	"aggregator_osl_tokens",
	"aggregator_sample_latency_seconds",
	"aggregator_samples_completed_total",
	"aggregator_samples_issued_total",
	"aggregator_snapshot_sequence",
	"aggregator_state",
	"aggregator_tpot_seconds",
	"aggregator_tracked_duration_seconds",
	"aggregator_tracked_finish_reasons_total",
	"aggregator_decode_errors_total",
	"aggregator_events_decoded_total",
	"aggregator_frames_dropped_total",
	"aggregator_frames_received_total",
	"aggregator_publisher_frames_dropped_total",
	"aggregator_publisher_peers",
	"aggregator_publisher_queued_frames",
	"aggregator_token_cache_hit_ratio",
	"aggregator_token_queue_length",
	"aggregator_token_worker_restarts_total",
	"aggregator_token_worker_state",
	"aggregator_token_workers_running",
}

// nopWorker is a tokwork.Worker that counts nothing.
type nopWorker struct{}

func (nopWorker) Count(context.Context, []string, []tokwork.Kind) ([]tokwork.Result, error) {
	return nil, nil
}
func (nopWorker) Close() error { return nil }
func (nopWorker) Kill()        {}
func (nopWorker) Pid() int     { return 1 }

// TestCollectorGolden: the exposition of a known snapshot and health.
func TestCollectorGolden(t *testing.T) {
	e := newExporter()
	// One live worker up after a restart on the same (inherited) CPUs.
	start := e.Live.Wrap(func(context.Context, []int, int) (tokwork.Worker, error) { return nopWorker{}, nil })
	w, _ := start(context.Background(), nil, 1)
	w.Kill()
	if _, err := start(context.Background(), nil, 1); err != nil {
		t.Fatal(err)
	}
	e.Publish(knownSnapshot(), snapshot.Live, knownHealth())
	if err := testutil.CollectAndCompare(collector{e}, strings.NewReader(goldenText), goldenNames...); err != nil {
		t.Error(err)
	}
}

// TestCollectorBeforeFirstSnapshot: health only, the state from Publish,
// no snapshot families; and with no Value at all, uptime and lanes.
func TestCollectorBeforeFirstSnapshot(t *testing.T) {
	e := newExporter()
	fams := gather(t, e)
	if _, ok := fams["aggregator_uptime_seconds"]; !ok {
		t.Error("no uptime before the first Publish")
	}
	if _, ok := fams["aggregator_state"]; ok {
		t.Error("a state before the first Publish")
	}
	e.Publish(nil, snapshot.Initialize, &Health{Events: 3})
	fams = gather(t, e)
	if got := value(t, fams, "aggregator_state", "state", "initialize"); got != 1 {
		t.Errorf("state initialize = %v, want 1", got)
	}
	if got := value(t, fams, "aggregator_events_decoded_total"); got != 3 {
		t.Errorf("events = %v", got)
	}
	for _, n := range []string{"aggregator_n_pending_tasks", "aggregator_samples_issued_total", "aggregator_token_queue_length", "aggregator_drain_items"} {
		if _, ok := fams[n]; ok {
			t.Errorf("%s exported without a snapshot / tokenizer", n)
		}
	}
	if got := value(t, fams, "aggregator_token_worker_state", "lane", "live", "state", "none"); got != 1 {
		t.Errorf("live lane state none = %v, want 1", got)
	}
}

// TestPublishCopiesAndRates: the Value does not alias the snapshot (the
// owner reuses it at once), the layout is kept while the shape is, and
// events/s comes from consecutive publishes.
func TestPublishCopiesAndRates(t *testing.T) {
	e := newExporter()
	s := knownSnapshot()
	e.Publish(s, s.State, &Health{Events: 100})
	l1 := e.cur.Load().layout
	time.Sleep(20 * time.Millisecond)
	s.Counters[0].Value = snapshot.Int(999)
	s.Series[0].Percentiles[7].Value = 2e9 // ns
	e.Publish(s, s.State, &Health{Events: 1100})
	v := e.cur.Load()
	if v.layout != l1 {
		t.Error("layout rebuilt for an unchanged shape")
	}
	if v.counters[0] != 999 || v.series[0].q[0] != 2 {
		t.Errorf("second value not refreshed: %v %v", v.counters[0], v.series[0].q[0])
	}
	s.Counters[0].Value = snapshot.Int(5)
	if v.counters[0] != 999 {
		t.Error("the Value aliases the snapshot")
	}
	if v.eventsPerSec <= 0 || v.eventsPerSec > 1000/0.02 {
		t.Errorf("events/s %v, want (0, 50000]", v.eventsPerSec)
	}
	// A new shape (a series added) gets a new layout.
	s.Series = append(s.Series, snapshot.Series{Name: "ttft_ns", Percentiles: s.Series[0].Percentiles})
	e.Publish(s, s.State, &Health{})
	if v := e.cur.Load(); v.layout == l1 || len(v.series) != 4 {
		t.Error("layout not rebuilt for a new shape")
	}
}

// TestNameClashesAreSkipped: a snapshot name that maps onto one of our own
// metrics (or onto an earlier snapshot name) is not exported, so a scrape
// never fails on a duplicate.
func TestNameClashesAreSkipped(t *testing.T) {
	e := newExporter()
	s := &snapshot.Snapshot{State: snapshot.Live, Counters: []snapshot.Counter{
		{Name: "events_decoded", Value: snapshot.Int(1)}, // → events_decoded_total, ours
		{Name: "a-b", Value: snapshot.Int(2)},
		{Name: "a_b", Value: snapshot.Int(3)},
		{Name: "y_ns", Value: snapshot.Int(4e9)},
		{Name: "tracked_finish_reason_stop", Value: snapshot.Int(5)},
		{Name: "tracked_finish_reason_stop", Value: snapshot.Int(6)},
	}, Series: []snapshot.Series{{Name: "a_b_total", Count: 1}, {Name: "y_seconds", Count: 1}, {Name: "z", Count: 1}}}
	e.Publish(s, s.State, &Health{Events: 7})
	fams := gather(t, e)
	if got := value(t, fams, "aggregator_events_decoded_total"); got != 7 {
		t.Errorf("aggregator_events_decoded_total = %v, want ours (7)", got)
	}
	if got := value(t, fams, "aggregator_a_b_total"); got != 2 {
		t.Errorf("aggregator_a_b_total = %v, want the first (2)", got)
	}
	if got := value(t, fams, "aggregator_y_seconds"); got != 4 {
		t.Errorf("aggregator_y_seconds = %v, want the counter y_ns in seconds (4)", got)
	}
	if got := value(t, fams, "aggregator_tracked_finish_reasons_total", "reason", "stop"); got != 5 || len(fams["aggregator_tracked_finish_reasons_total"].GetMetric()) != 1 {
		t.Errorf("finish reason stop = %v (%d samples), want the first (5) alone", got, len(fams["aggregator_tracked_finish_reasons_total"].GetMetric()))
	}
	if f := fams["aggregator_a_b_total"]; f.GetType() != dto.MetricType_COUNTER {
		t.Error("series a_b_total exported over the counter")
	}
	if f := fams["aggregator_y_seconds"]; f.GetType() != dto.MetricType_GAUGE {
		t.Error("series y_seconds exported over the counter")
	}
	if f := fams["aggregator_z"]; f.GetType() != dto.MetricType_SUMMARY {
		t.Error("series z not exported")
	}
}

// TestMetricNames: every name of the snapshot schema maps onto the
// Prometheus name the README documents, by the naming rules (base units,
// _total on counters, the finish reason as a label).
func TestMetricNames(t *testing.T) {
	want := map[string][3]string{
		snapshot.TotalSamplesIssued:               {"aggregator_samples_issued_total"},
		snapshot.TotalSamplesCompleted:            {"aggregator_samples_completed_total"},
		snapshot.TotalSamplesFailed:               {"aggregator_samples_failed_total"},
		snapshot.TrackedSamplesIssued:             {"aggregator_tracked_samples_issued_total"},
		snapshot.TrackedSamplesCompleted:          {"aggregator_tracked_samples_completed_total"},
		snapshot.TrackedSamplesFailed:             {"aggregator_tracked_samples_failed_total"},
		snapshot.TrackedFinishReasonStop:          {"aggregator_tracked_finish_reasons_total", "reason", "stop"},
		snapshot.TrackedFinishReasonLength:        {"aggregator_tracked_finish_reasons_total", "reason", "length"},
		snapshot.TrackedFinishReasonToolCalls:     {"aggregator_tracked_finish_reasons_total", "reason", "tool_calls"},
		snapshot.TrackedFinishReasonContentFilter: {"aggregator_tracked_finish_reasons_total", "reason", "content_filter"},
		snapshot.TrackedFinishReasonFunctionCall:  {"aggregator_tracked_finish_reasons_total", "reason", "function_call"},
		snapshot.TrackedFinishReasonOther:         {"aggregator_tracked_finish_reasons_total", "reason", "other"},
		snapshot.TrackedDurationNs:                {"aggregator_tracked_duration_seconds"},
		snapshot.LegacyLoadgenWindowDurationNs:    {"aggregator_legacy_loadgen_window_duration_seconds"},
		snapshot.TotalDurationNs:                  {"aggregator_total_duration_seconds"},
	}
	for _, n := range snapshot.CounterNames {
		name, ln, lv := MetricName(n, false)
		if got := [3]string{name, ln, lv}; got != want[n] {
			t.Errorf("counter %s → %v, want %v", n, got, want[n])
		}
	}
	wantSeries := map[string]string{
		snapshot.SampleLatencyNs: "aggregator_sample_latency_seconds", snapshot.ISL: "aggregator_isl_tokens",
		snapshot.OSL: "aggregator_osl_tokens", snapshot.TTFTNs: "aggregator_ttft_seconds",
		snapshot.ChunkDeltaNs: "aggregator_chunk_delta_seconds", snapshot.TPOTNs: "aggregator_tpot_seconds",
	}
	for _, n := range append(snapshot.CoreSeries[:], snapshot.StreamingSeries[:]...) {
		if got, _, _ := MetricName(n, true); got != wantSeries[n] {
			t.Errorf("series %s → %s, want %s", n, got, wantSeries[n])
		}
	}
}

// knownDrain is a drain of 40 payloads (4000 bytes) on two workers, a
// quarter of the bytes answered two seconds after it began; the second
// worker was restarted once.
func knownDrain(now time.Time) *tokqueue.DrainProgress {
	return &tokqueue.DrainProgress{Start: now.Add(-2 * time.Second), Items: 40, Bytes: 4000,
		ItemsDone: 12, BytesDone: 1000, Failed: 1, Tokens: 250,
		Workers: []tokqueue.WorkerProgress{
			{Chunk: tokqueue.Chunk{PID: 11, CPUs: "0-7", From: 0, To: 20, Bytes: 2200}, ItemsDone: 8, BytesDone: 700, Tokens: 180},
			{Chunk: tokqueue.Chunk{PID: 12, CPUs: "8-15", From: 20, To: 40, Bytes: 1800}, ItemsDone: 4, BytesDone: 300, Tokens: 70, Restarts: 1},
		}}
}

// TestDrainProgress: the drain's progress (the owner's copy) is exported
// as totals, per worker (labelled with its CPU block), and as the ratio
// and time left the progress bar shows; nothing before a drain began.
func TestDrainProgress(t *testing.T) {
	e := newExporter()
	h := knownHealth()
	e.Publish(knownSnapshot(), snapshot.Draining, h)
	if fams := gather(t, e); fams["aggregator_drain_items"] != nil {
		t.Error("drain metrics before a drain began")
	}
	h.Drain = knownDrain(time.Now())
	e.Publish(knownSnapshot(), snapshot.Draining, h)
	fams := gather(t, e)
	for name, want := range map[string]float64{
		"aggregator_drain_items": 40, "aggregator_drain_items_processed_total": 12, "aggregator_drain_items_failed_total": 1,
		"aggregator_drain_bytes": 4000, "aggregator_drain_processed_bytes_total": 1000, "aggregator_drain_tokens_total": 250,
		"aggregator_drain_progress_ratio": 0.25, "aggregator_drain_workers": 2,
	} {
		if got := value(t, fams, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	// 2 s for a quarter: 6 s left; 2 s since the start.
	if got := value(t, fams, "aggregator_drain_eta_seconds"); got < 5.9 || got > 6.5 {
		t.Errorf("eta %v s, want about 6", got)
	}
	if got := value(t, fams, "aggregator_drain_elapsed_seconds"); got < 2 || got > 2.5 {
		t.Errorf("elapsed %v s, want about 2", got)
	}
	for _, c := range []struct {
		name         string
		worker, cpus string
		want         float64
	}{
		{"aggregator_drain_worker_items", "0", "0-7", 20}, {"aggregator_drain_worker_items", "1", "8-15", 20},
		{"aggregator_drain_worker_items_processed_total", "0", "0-7", 8}, {"aggregator_drain_worker_bytes", "1", "8-15", 1800},
		{"aggregator_drain_worker_processed_bytes_total", "1", "8-15", 300}, {"aggregator_drain_worker_tokens_total", "0", "0-7", 180},
		{"aggregator_drain_worker_restarts_total", "0", "0-7", 0}, {"aggregator_drain_worker_restarts_total", "1", "8-15", 1},
	} {
		if got := value(t, fams, c.name, "worker", c.worker, "cpus", c.cpus); got != c.want {
			t.Errorf("%s{worker=%s,cpus=%s} = %v, want %v", c.name, c.worker, c.cpus, got, c.want)
		}
	}
}

// TestInfoMetrics: the run's identity and the build as info metrics.
func TestInfoMetrics(t *testing.T) {
	e := newExporter()
	e.runInfo = RunInfo{MetricsOutputDir: "/out", SocketDir: "/s", SocketName: "ev", MetricsSocket: "met",
		ReadinessID: 3, Tokenizer: "meta-llama/Llama-3.1-8B", Streaming: true}.metric()
	fams := gather(t, e)
	if got := value(t, fams, "aggregator_run_info", "metrics_output_dir", "/out", "socket_dir", "/s", "socket_name", "ev",
		"metrics_socket", "met", "readiness_id", "3", "tokenizer", "meta-llama/Llama-3.1-8B", "streaming", "true"); got != 1 {
		t.Errorf("run_info = %v", got)
	}
	if got := value(t, fams, "aggregator_build_info", "goversion", runtime.Version()); got != 1 {
		t.Errorf("build_info = %v", got)
	}
}

// TestLint: everything the endpoint can serve (a snapshot with every
// schema name, drain progress, the info metrics) passes client_golang's
// promlint, the linter behind promtool check metrics: base units, _total
// on counters and only there, no reserved suffixes, help on every family.
func TestLint(t *testing.T) {
	e := newExporter()
	e.runInfo = RunInfo{MetricsOutputDir: "/out"}.metric()
	s := &snapshot.Snapshot{State: snapshot.Live}
	for _, n := range snapshot.CounterNames {
		s.Counters = append(s.Counters, snapshot.Counter{Name: n, Value: snapshot.Int(1)})
	}
	for _, n := range append(snapshot.CoreSeries[:], snapshot.StreamingSeries[:]...) {
		m := snapshot.Series{Name: n, Count: 1, Total: snapshot.Int(1), Min: snapshot.Int(1), Max: snapshot.Int(1)}
		for _, k := range gridKeys {
			m.Percentiles = append(m.Percentiles, snapshot.Percentile{Key: k, Value: 1})
		}
		s.Series = append(s.Series, m)
	}
	h := knownHealth()
	h.Drain = knownDrain(time.Now())
	e.Publish(s, s.State, h)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(collector{e})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	if len(mfs) < 50 {
		t.Errorf("linted %d families, want every one (>= 50)", len(mfs))
	}
}

// TestLaneStates: none / starting / running / restarting, restarts per
// CPU set, failures, and a worker leaving the running count once.
func TestLaneStates(t *testing.T) {
	var l Lane
	if s := l.state(false); s != "none" {
		t.Errorf("inactive: %s", s)
	}
	if s := l.state(true); s != "starting" {
		t.Errorf("before the first start: %s", s)
	}
	fail := true
	start := l.Wrap(func(context.Context, []int, int) (tokwork.Worker, error) {
		if fail {
			return nil, errors.New("no")
		}
		return nopWorker{}, nil
	})
	if _, err := start(context.Background(), []int{0, 1}, 2); err == nil {
		t.Fatal("want the start error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start(ctx, []int{0, 1}, 2) // a cancelled start is no failure
	fail = false
	a, _ := start(context.Background(), []int{0, 1}, 2)
	b, _ := start(context.Background(), []int{2, 3}, 2)
	if s := l.state(true); s != "running" || l.running.Load() != 2 {
		t.Errorf("two up: %s running=%d", s, l.running.Load())
	}
	a.Kill()
	a.Close()
	a.Kill()
	b.Close()
	if s := l.state(true); s != "restarting" || l.running.Load() != 0 {
		t.Errorf("all down: %s running=%d", s, l.running.Load())
	}
	start(context.Background(), []int{0, 1}, 2)
	if l.starts.Load() != 3 || l.restarts.Load() != 1 || l.failures.Load() != 1 {
		t.Errorf("starts %d restarts %d failures %d, want 3 1 1", l.starts.Load(), l.restarts.Load(), l.failures.Load())
	}
}

func TestResolveAddr(t *testing.T) {
	for in, want := range map[string]string{
		":9464":          "127.0.0.1:9464",
		":0":             "127.0.0.1:0",
		"0.0.0.0:9464":   "0.0.0.0:9464",
		"localhost:9464": "localhost:9464",
		"[::1]:9464":     "[::1]:9464",
		"[::]:1":         "[::]:1",
		"10.1.2.3:65535": "10.1.2.3:65535",
	} {
		got, err := ResolveAddr(in)
		if err != nil || got != want {
			t.Errorf("ResolveAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "9464", "localhost", "host:", ":http", ":-1", ":65536", "1.2.3.4:99999", "::1:9464", "a:b:c"} {
		if got, err := ResolveAddr(bad); err == nil {
			t.Errorf("ResolveAddr(%q) = %q, want an error", bad, got)
		}
	}
}

// TestServeLoopbackByDefault: ":0" binds 127.0.0.1 only; GET /metrics is
// the text format with our families and the Go and process collectors;
// other paths and methods are refused.
func TestServeLoopbackByDefault(t *testing.T) {
	e, err := Start(":0", RunInfo{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(0)
	host, _, _ := net.SplitHostPort(e.Addr())
	if host != "127.0.0.1" {
		t.Fatalf("bound %s, want loopback", e.Addr())
	}
	e.Publish(knownSnapshot(), snapshot.Live, knownHealth())
	fams := scrape(t, "http://"+e.Addr()+Path)
	for _, n := range []string{"aggregator_uptime_seconds", "aggregator_samples_issued_total", "aggregator_sample_latency_seconds",
		"aggregator_events_per_second", "go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total", "process_start_time_seconds"} {
		if _, ok := fams[n]; !ok {
			t.Errorf("scrape lacks %s", n)
		}
	}
	if got := fams["aggregator_sample_latency_seconds"].GetType(); got != dto.MetricType_SUMMARY {
		t.Errorf("sample_latency_seconds type %v, want summary", got)
	}
	for _, c := range []struct {
		method, path string
		code         int
	}{{"GET", "/", 404}, {"GET", "/other", 404}, {"POST", Path, 405}, {"HEAD", Path, 200}} {
		req, _ := http.NewRequest(c.method, "http://"+e.Addr()+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.code)
		}
	}
}

// TestStartErrors: a bad address and a port in use fail Start.
func TestStartErrors(t *testing.T) {
	if _, err := Start("9464", RunInfo{}, nil); err == nil || !strings.Contains(err.Error(), "HOST:PORT") {
		t.Errorf("bad address: %v", err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, port, _ := net.SplitHostPort(busy.Addr().String())
	if e, err := Start(":"+port, RunInfo{}, nil); err == nil {
		e.Close(0)
		t.Fatal("bound a port in use")
	} else if !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("port in use: %v", err)
	}
}

// TestCloseLinger: Close waits for one scrape of a final Value, at most
// the linger; it does not wait for a live Value; a nil Exporter is inert.
func TestCloseLinger(t *testing.T) {
	var nilExp *Exporter
	nilExp.Publish(nil, snapshot.Live, &Health{})
	nilExp.Close(time.Hour)

	e, err := Start("127.0.0.1:0", RunInfo{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Publish(knownSnapshot(), snapshot.Live, knownHealth())
	t0 := time.Now()
	e.Close(time.Hour)
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("Close with a live value waited %v", d)
	}

	e, err = Start("127.0.0.1:0", RunInfo{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := knownSnapshot()
	s.State = snapshot.Complete
	e.Publish(s, s.State, knownHealth())
	t0 = time.Now()
	e.Close(150 * time.Millisecond)
	if d := time.Since(t0); d < 150*time.Millisecond {
		t.Errorf("Close returned after %v without a scrape, want the linger", d)
	}

	e, err = Start("127.0.0.1:0", RunInfo{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Publish(s, s.State, knownHealth())
	done := make(chan struct{})
	go func() { e.Close(time.Hour); close(done) }()
	fams := scrape(t, "http://"+e.Addr()+Path)
	if got := value(t, fams, "aggregator_state", "state", "complete"); got != 1 {
		t.Errorf("final scrape state complete = %v", got)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return after the final scrape")
	}
	if _, err := http.Get("http://" + e.Addr() + Path); err == nil {
		t.Error("endpoint still up after Close")
	}
}

// TestConcurrentPublishAndScrape: under -race, the owner publishing while
// scrapes run shares nothing but the pointer and the lanes' atomics.
func TestConcurrentPublishAndScrape(t *testing.T) {
	e, err := Start("127.0.0.1:0", RunInfo{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(0)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(2)
	go func() {
		defer wg.Done()
		s := knownSnapshot()
		h := knownHealth()
		start := e.Drain.Wrap(func(context.Context, []int, int) (tokwork.Worker, error) { return nopWorker{}, nil })
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.Counters[0].Value = snapshot.Int(int64(i))
			s.Series[0].Percentiles[0].Value = float64(i)
			h.Events = int64(i)
			e.Publish(s, s.State, h)
			if w, err := start(context.Background(), []int{i % 3}, 1); err == nil {
				w.Kill()
			}
			time.Sleep(time.Millisecond)
		}
	}()
	go func() {
		defer wg.Done()
		prev := -1.0
		for range 20 {
			fams := scrape(t, "http://"+e.Addr()+Path)
			got := value(t, fams, "aggregator_samples_issued_total")
			if got < prev {
				t.Errorf("counter went back: %v after %v", got, prev)
			}
			prev = got
		}
		close(stop)
	}()
	wg.Wait()
}

// BenchmarkPublish is the owner's extra cost per live publish: copying a
// realistic snapshot (15 counters, 6 series on the full grid) and the
// health numbers into a new Value and storing it.
//
//	go test -run '^$' -bench Publish -benchmem ./pkg/promexport/
func BenchmarkPublish(b *testing.B) {
	e := newExporter()
	s := &snapshot.Snapshot{State: snapshot.Live}
	for i := range 15 {
		s.Counters = append(s.Counters, snapshot.Counter{Name: fmt.Sprintf("counter_%02d", i), Value: snapshot.Int(int64(i))})
	}
	for _, n := range []string{"sample_latency_ns", "ttft_ns", "chunk_delta_ns", "tpot_ns", "isl", "osl"} {
		m := snapshot.Series{Name: n, Count: 1000, Total: snapshot.Int(1e9), Min: snapshot.Int(1), Max: snapshot.Int(1e6)}
		for _, k := range gridKeys {
			m.Percentiles = append(m.Percentiles, snapshot.Percentile{Key: k, Value: 42})
		}
		s.Series = append(s.Series, m)
	}
	h := knownHealth()
	b.ReportAllocs()
	for b.Loop() {
		e.Publish(s, s.State, h)
	}
}

// gather collects e's own families (no Go/process collectors) through a
// pedantic registry, which checks their consistency.
func gather(t *testing.T, e *Exporter) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(collector{e})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	fams := make(map[string]*dto.MetricFamily, len(mfs))
	for _, f := range mfs {
		fams[f.GetName()] = f
	}
	return fams
}

// scrape GETs url and parses the text exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	return parse(t, resp.Body)
}

func parse(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("exposition does not parse: %v", err)
	}
	return fams
}

// value returns the value of the one metric of family name whose labels
// match the name/value pairs given.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no family %s", name)
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
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
		case m.Untyped != nil:
			return m.GetUntyped().GetValue()
		}
	}
	t.Fatalf("no %s%v", name, labels)
	return 0
}
