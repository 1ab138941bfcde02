package promexport

import (
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
	"github.com/mlperf-tools/aggregator/pkg/tokqueue"
)

// fixedNames are the names of the metrics below; a snapshot name that
// maps onto one of them is not exported (see newLayout).
var fixedNames = map[string]bool{}

func desc(name, help string, labels ...string) *prometheus.Desc {
	full := Namespace + "_" + name
	fixedNames[full] = true
	return prometheus.NewDesc(full, help, labels, nil)
}

// Snapshot metadata.
var (
	dState    = desc("state", "Session state of the latest snapshot: 1 for the current state, 0 for the others.", "state")
	dPending  = desc("n_pending_tasks", "Token work enqueued and not yet recorded (the snapshot's n_pending_tasks).")
	dSnapshot = desc("snapshot_sequence", "The latest snapshot's counter field: its sequence number (snapshots built so far).")
	dSnapTime = desc("snapshot_timestamp_seconds", "Wall-clock time the latest numbers were published (Unix seconds).")
)

// Daemon health.
var (
	dUptime        = desc("uptime_seconds", "Seconds since the metrics endpoint (and the daemon) started.")
	dEvents        = desc("events_decoded_total", "Event records decoded and folded.")
	dEventsRate    = desc("events_per_second", "Event records folded per second over the last publish interval.")
	dDecodeErrors  = desc("decode_errors_total", "Malformed or dropped event payloads (malformed ones count as error.generic).")
	dFramesRecv    = desc("frames_received_total", "Event frames received from the load generator's PUB socket.")
	dFramesDropped = desc("frames_dropped_total", "Undecodable event frames dropped whole.")
	dBytesRecv     = desc("received_bytes_total", "Bytes of event frames received.")
	dConnects      = desc("event_connects_total", "Connections to the event PUB socket established.")
	dDisconnects   = desc("event_disconnects_total", "Established connections to the event PUB socket lost.")
	dPeers         = desc("publisher_peers", "Readers connected to the snapshot PUB socket.")
	dPubFrames     = desc("publisher_frames_published_total", "Snapshot frames handed to the snapshot publisher.")
	dPubDropped    = desc("publisher_frames_dropped_total", "Snapshot frames dropped on full reader queues (oldest first), all readers.")
	dPubQueued     = desc("publisher_queued_frames", "Snapshot frames waiting in reader queues.")
)

// Token pipeline (with --tokenizer).
var (
	dTokQueue     = desc("token_queue_length", "Token jobs in the queue (not yet taken or recorded).")
	dTokHits      = desc("token_cache_hits_total", "Token jobs answered from the run-wide count cache.")
	dTokMisses    = desc("token_cache_misses_total", "Distinct texts that had to be tokenized.")
	dTokHitRatio  = desc("token_cache_hit_ratio", "Count-cache hit ratio so far.")
	dTokEntries   = desc("token_cache_entries", "Distinct texts in the count cache.")
	dTokConvErr   = desc("token_conversion_errors_total", "Token jobs whose payload could not be built.")
	dTokItemErr   = desc("token_item_errors_total", "Per-item errors answered by token workers.")
	dTokPanics    = desc("token_recorder_panics_total", "Token recorders that panicked (recovered).")
	dTokRendered  = desc("token_chat_rendered_total", "Structured items counted through the chat template.")
	dTokFallbacks = desc("token_chat_fallbacks_total", "Structured items counted through upstream's fallback text.")
	dTokCulprits  = desc("token_live_culprits_total", "Items given up after killing the live worker twice.")
)

// The drain's progress (once the end-of-run drain began; labelled per
// worker: worker="0".., cpus="0-7").
var (
	dDrainItems       = desc("drain_items", "Distinct token payloads in the end-of-run drain batch.")
	dDrainItemsDone   = desc("drain_items_processed_total", "Drain payloads answered by the workers (counted or failed).")
	dDrainItemsFailed = desc("drain_items_failed_total", "Drain payloads that failed for good (they stay pending).")
	dDrainBytes       = desc("drain_bytes", "Total length of the drain batch's payloads.")
	dDrainBytesDone   = desc("drain_processed_bytes_total", "Length of the drain payloads answered so far.")
	dDrainTokens      = desc("drain_tokens_total", "Tokens counted in the drain.")
	dDrainRatio       = desc("drain_progress_ratio", "Share of the drain batch's bytes answered (0 to 1; the daemon's progress bar).")
	dDrainETA         = desc("drain_eta_seconds", "Time left in the drain at the rate so far (0 when done or not yet counting).")
	dDrainElapsed     = desc("drain_elapsed_seconds", "Time since the drain began, at the latest publish.")
	dDrainWorkers     = desc("drain_workers", "Drain workers planned (one per CPU block).")
	dWorkerItems      = desc("drain_worker_items", "Drain payloads in the worker's chunk.", "worker", "cpus")
	dWorkerItemsDone  = desc("drain_worker_items_processed_total", "Drain payloads of the worker's chunk answered.", "worker", "cpus")
	dWorkerBytes      = desc("drain_worker_bytes", "Total length of the worker's chunk.", "worker", "cpus")
	dWorkerBytesDone  = desc("drain_worker_processed_bytes_total", "Length of the worker's answered payloads.", "worker", "cpus")
	dWorkerTokens     = desc("drain_worker_tokens_total", "Tokens the worker counted.", "worker", "cpus")
	dWorkerRestarts   = desc("drain_worker_restarts_total", "Times the worker was restarted on its block after it died.", "worker", "cpus")
)

// Identity.
var (
	dBuildInfo = desc("build_info", "The aggregator build: always 1, the build in the labels.", "version", "revision", "goversion")
	dRunInfo   = desc("run_info", "The run this daemon serves: always 1, its command line's identity in the labels.",
		"metrics_output_dir", "socket_dir", "socket_name", "metrics_socket", "readiness_id", "tokenizer", "streaming")
)

// buildInfo is the aggregator_build_info sample of this binary.
var buildInfo = func() prometheus.Metric {
	version, revision := "(devel)", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if dirty && revision != "unknown" {
			revision += "-dirty"
		}
	}
	return gauge(dBuildInfo, 1, version, revision, runtime.Version())
}()

// RunInfo is the run's identity, from the daemon's command line: the
// labels of aggregator_run_info. (Prometheus's scrape config adds the
// run label that dashboards select on; see deploy/prometheus.)
type RunInfo struct {
	MetricsOutputDir, SocketDir, SocketName, MetricsSocket string
	ReadinessID                                            int64
	Tokenizer                                              string
	Streaming                                              bool
}

func (r RunInfo) metric() prometheus.Metric {
	return gauge(dRunInfo, 1, r.MetricsOutputDir, r.SocketDir, r.SocketName, r.MetricsSocket,
		strconv.FormatInt(r.ReadinessID, 10), r.Tokenizer, strconv.FormatBool(r.Streaming))
}

// Token worker lanes (labelled lane="live"|"drain").
var (
	dLaneState    = desc("token_worker_state", "Token lane state: 1 for the current one of none, starting, running, restarting.", "lane", "state")
	dLaneRunning  = desc("token_workers_running", "Token worker processes up in the lane.", "lane")
	dLaneStarts   = desc("token_worker_starts_total", "Token worker processes started in the lane.", "lane")
	dLaneRestarts = desc("token_worker_restarts_total", "Token workers started again after an earlier worker on the same CPUs (a restart after a death).", "lane")
	dLaneFailures = desc("token_worker_start_failures_total", "Token worker starts that failed.", "lane")
)

var stateNames = [...]string{"initialize", "live", "draining", "complete", "interrupted"}

// laneStates are the values of the state label of token_worker_state.
var laneStates = [...]string{"none", "starting", "running", "restarting"}

// collector is the Exporter's prometheus.Collector. It is unchecked (its
// snapshot metrics depend on the snapshot), so Describe sends nothing.
type collector struct{ e *Exporter }

func (collector) Describe(chan<- *prometheus.Desc) {}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Collect reads the latest Value, the lanes' atomics and the start time;
// nothing else.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	e := c.e
	ch <- buildInfo
	if e.runInfo != nil {
		ch <- e.runInfo
	}
	ch <- gauge(dUptime, time.Since(e.start).Seconds())
	v := e.cur.Load()
	if v == nil {
		collectLane(ch, "live", &e.Live, false)
		collectLane(ch, "drain", &e.Drain, false)
		return
	}
	if v.Final() {
		e.finalOnce.Do(func() { close(e.finalServed) })
	}
	for i, n := range stateNames {
		ch <- gauge(dState, b2f(v.state == snapshot.State(i)), n)
	}
	ch <- gauge(dSnapTime, float64(v.at.UnixNano())/1e9)
	if l := v.layout; l != nil {
		ch <- gauge(dPending, float64(v.pending))
		ch <- gauge(dSnapshot, float64(v.counter))
		for i, cl := range l.counters {
			switch {
			case cl.desc == nil:
			case cl.label != "":
				ch <- prometheus.MustNewConstMetric(cl.desc, cl.kind, v.counters[i], cl.label)
			default:
				ch <- prometheus.MustNewConstMetric(cl.desc, cl.kind, v.counters[i])
			}
		}
		for i := range l.series {
			sl, sv := &l.series[i], &v.series[i]
			if sl.summary == nil {
				continue
			}
			q := make(map[float64]float64, nq+2)
			q[0], q[1] = sv.min, sv.max
			for k, j := range sl.qidx {
				if j >= 0 {
					q[quantiles[k].q] = sv.q[k]
				}
			}
			ch <- prometheus.MustNewConstSummary(sl.summary, sv.count, sv.sum, q)
		}
	}

	h := &v.health
	ch <- counter(dEvents, float64(h.Events))
	ch <- gauge(dEventsRate, v.eventsPerSec)
	ch <- counter(dDecodeErrors, float64(h.DecodeErrors))
	ch <- counter(dFramesRecv, float64(h.Subscriber.Frames))
	ch <- counter(dFramesDropped, float64(h.FramesDropped))
	ch <- counter(dBytesRecv, float64(h.Subscriber.Bytes))
	ch <- counter(dConnects, float64(h.Subscriber.Connects))
	ch <- counter(dDisconnects, float64(h.Subscriber.Disconnects))
	queued := 0
	for _, p := range h.Publisher.Peers {
		queued += p.Queued
	}
	ch <- gauge(dPeers, float64(len(h.Publisher.Peers)))
	ch <- counter(dPubFrames, float64(h.Publisher.Published))
	ch <- counter(dPubDropped, float64(h.Publisher.Dropped))
	ch <- gauge(dPubQueued, float64(queued))

	if h.Tokens {
		t := &h.TokenQueue
		ch <- gauge(dTokQueue, float64(h.TokenQueueLen))
		ch <- counter(dTokHits, float64(t.CacheHits))
		ch <- counter(dTokMisses, float64(t.CacheMisses))
		ch <- gauge(dTokHitRatio, t.HitRate)
		ch <- gauge(dTokEntries, float64(t.DistinctTextsCached))
		ch <- counter(dTokConvErr, float64(t.ConvErrors))
		ch <- counter(dTokItemErr, float64(t.ItemErrors))
		ch <- counter(dTokPanics, float64(t.RecorderPanics))
		ch <- counter(dTokRendered, float64(t.Rendered))
		ch <- counter(dTokFallbacks, float64(t.Fallbacks))
		ch <- counter(dTokCulprits, float64(t.Culprits))
	}
	if d := h.Drain; d != nil {
		collectDrain(ch, v, d)
	}
	collectLane(ch, "live", &e.Live, h.LiveLane)
	collectLane(ch, "drain", &e.Drain, h.DrainLane)
}

// collectDrain reports the drain's progress as of v's publish.
func collectDrain(ch chan<- prometheus.Metric, v *Value, d *tokqueue.DrainProgress) {
	ch <- gauge(dDrainItems, float64(d.Items))
	ch <- counter(dDrainItemsDone, float64(d.ItemsDone))
	ch <- counter(dDrainItemsFailed, float64(d.Failed))
	ch <- gauge(dDrainBytes, float64(d.Bytes))
	ch <- counter(dDrainBytesDone, float64(d.BytesDone))
	ch <- counter(dDrainTokens, float64(d.Tokens))
	ch <- gauge(dDrainRatio, v.drainRatio)
	ch <- gauge(dDrainETA, v.drainETA.Seconds())
	ch <- gauge(dDrainElapsed, max(v.at.Sub(d.Start), 0).Seconds())
	ch <- gauge(dDrainWorkers, float64(len(d.Workers)))
	for i := range d.Workers {
		w := &d.Workers[i]
		id, cpus := strconv.Itoa(i), w.CPUs
		ch <- gauge(dWorkerItems, float64(w.To-w.From), id, cpus)
		ch <- counter(dWorkerItemsDone, float64(w.ItemsDone), id, cpus)
		ch <- gauge(dWorkerBytes, float64(w.Bytes), id, cpus)
		ch <- counter(dWorkerBytesDone, float64(w.BytesDone), id, cpus)
		ch <- counter(dWorkerTokens, float64(w.Tokens), id, cpus)
		ch <- counter(dWorkerRestarts, float64(w.Restarts), id, cpus)
	}
}

// collectLane reports one lane; active says whether the owner runs it.
func collectLane(ch chan<- prometheus.Metric, lane string, l *Lane, active bool) {
	st := l.state(active)
	for _, s := range laneStates {
		ch <- gauge(dLaneState, b2f(s == st), lane, s)
	}
	ch <- gauge(dLaneRunning, float64(l.running.Load()), lane)
	ch <- counter(dLaneStarts, float64(l.starts.Load()), lane)
	ch <- counter(dLaneRestarts, float64(l.restarts.Load()), lane)
	ch <- counter(dLaneFailures, float64(l.failures.Load()), lane)
}
