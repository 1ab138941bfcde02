// Package promexport serves the daemon's numbers on an HTTP endpoint
// (GET /metrics) in the Prometheus text exposition format
// (github.com/prometheus/client_golang): the counters, series quantiles,
// state and n_pending_tasks of the latest snapshot, the daemon's own
// health (events, decode errors, frames, token queue and workers,
// snapshot publisher), the drain's progress, the run's identity and the
// build (info metrics), and the standard Go and process collectors.
//
// Names follow the Prometheus naming rules (base units, _total on
// counters): a snapshot name maps onto its metric by counterMetric and
// seriesMetric ("total_samples_issued" → aggregator_samples_issued_total,
// "ttft_ns" → the summary aggregator_ttft_seconds).
//
// Ownership: the HTTP handler never reads the owner goroutine's state.
// The owner calls Publish (after each live snapshot and after the final
// one), which builds a compact immutable Value and stores it in an
// atomic.Pointer; the collector reads only that pointer, the token lanes'
// atomics (Lane) and the start time. Publish never blocks.
package promexport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is the endpoint's path.
const Path = "/metrics"

// DefaultHost is the host an address without one (":9464") binds: the
// loopback interface only. All interfaces must be asked for ("0.0.0.0:9464").
const DefaultHost = "127.0.0.1"

// shutdownWait bounds the graceful shutdown (in-flight scrapes finish);
// after it the server is closed hard.
const shutdownWait = time.Second

// ResolveAddr checks a --prometheus-addr value (HOST:PORT, [V6]:PORT or
// :PORT) and returns the address to bind: an empty host is DefaultHost.
// The port must be a number (0 = any free port).
func ResolveAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("want HOST:PORT or :PORT (%v)", err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("port %q: want a number between 0 and 65535", port)
	}
	if host == "" {
		host = DefaultHost
	}
	return net.JoinHostPort(host, port), nil
}

// Exporter is a running /metrics endpoint. Publish is called by one
// goroutine (the owner); everything else is safe from any goroutine. A
// nil *Exporter ignores every call.
type Exporter struct {
	// Live and Drain count the token lanes' workers (see Lane.Wrap).
	Live, Drain Lane

	start   time.Time
	runInfo prometheus.Metric // aggregator_run_info; nil without a run
	cur     atomic.Pointer[Value]

	// finalServed is closed once a scrape has collected a final Value.
	finalServed chan struct{}
	finalOnce   sync.Once

	ln     net.Listener
	srv    *http.Server
	served chan struct{} // closed when Serve returned
	log    *slog.Logger

	// Publish's state (the publishing goroutine only).
	pub publishState
}

// Start binds addr (see ResolveAddr) and serves GET /metrics in the
// background, for the run run identifies. A bad address or a bind failure
// is returned as is.
func Start(addr string, run RunInfo, log *slog.Logger) (*Exporter, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bind, err := ResolveAddr(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	e := &Exporter{start: time.Now(), runInfo: run.metric(), finalServed: make(chan struct{}), ln: ln, served: make(chan struct{}), log: log}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collector{e},
	)
	mux := http.NewServeMux()
	mux.Handle("GET "+Path, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:            errorLog{log},
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))
	e.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		defer close(e.served)
		if err := e.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("prometheus endpoint stopped", "err", err)
		}
	}()
	return e, nil
}

// Addr is the bound address (the real port when 0 was asked for).
func (e *Exporter) Addr() string {
	if e == nil {
		return ""
	}
	return e.ln.Addr().String()
}

// Close shuts the endpoint down. When the latest Value is final and linger
// > 0 it first waits, at most linger, for one scrape to collect it. The
// shutdown itself lets in-flight scrapes finish within a second, then
// closes every connection; Close returns once the server has stopped.
func (e *Exporter) Close(linger time.Duration) {
	if e == nil {
		return
	}
	if v := e.cur.Load(); linger > 0 && v != nil && v.Final() {
		t := time.NewTimer(linger)
		select {
		case <-e.finalServed:
		case <-t.C:
		}
		t.Stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		e.srv.Close()
	}
	<-e.served
}

// errorLog adapts slog to promhttp.Logger.
type errorLog struct{ log *slog.Logger }

func (l errorLog) Println(v ...any) { l.log.Warn("prometheus scrape", "err", fmt.Sprint(v...)) }
