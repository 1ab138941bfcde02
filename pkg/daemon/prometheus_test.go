package daemon

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/aggregator"
	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/promexport"
	"github.com/mlperf-tools/aggregator/pkg/transport"
)

// TestPrometheusAddrValidation: a malformed --prometheus-addr is a
// configuration error naming the flag; a well-formed one passes.
func TestPrometheusAddrValidation(t *testing.T) {
	base := Config{SocketDir: "d", SocketName: "ev", MetricsSocket: "met", MetricsOutputDir: t.TempDir(),
		PublishInterval: time.Second, HDRSigFigs: 3, HistogramBuckets: 10}
	for _, bad := range []string{"9464", "host:", ":http", ":65536"} {
		c := base
		c.PrometheusAddr = bad
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--prometheus-addr") {
			t.Errorf("%q: %v, want an error naming --prometheus-addr", bad, err)
		}
	}
	c := base
	c.PrometheusAddr, c.PrometheusLinger = ":9464", -1
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--prometheus-linger") {
		t.Errorf("negative linger: %v", err)
	}
	for _, good := range []string{":9464", "0.0.0.0:9464", "[::1]:0"} {
		c := base
		c.PrometheusAddr = good
		if err := c.Validate(); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
}

// TestPrometheusBindFailureIsStartupError: a port in use makes Run return
// an error naming the flag before readiness, leaving nothing behind.
func TestPrometheusBindFailureIsStartupError(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir, err := os.MkdirTemp("", "agp")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	log, _ := testLogger(t)
	cfg := Config{SocketDir: dir, SocketName: "ev", MetricsSocket: "met", MetricsOutputDir: dir,
		PublishInterval: time.Second, HDRSigFigs: 3, HistogramBuckets: 10, PrometheusAddr: busy.Addr().String()}
	err = Run(context.Background(), cfg, log)
	if err == nil || !strings.Contains(err.Error(), "--prometheus-addr") || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Run: %v, want a bind error naming --prometheus-addr", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ReadyMarker)); err == nil {
		t.Error("ready marker touched before the failure")
	}
	checkNoLeftoverGoroutines(t)
}

// BenchmarkPublishLive is the owner's cost of one live publish without
// and with --prometheus-addr (snapshot build + frame + Publish, then the
// endpoint's copy: health gathering and promexport.Publish), on a
// streaming registry that has folded the DecodeFold mix.
//
//	go test -run '^$' -bench PublishLive -benchmem ./pkg/daemon/
func BenchmarkPublishLive(b *testing.B) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	agg, err := aggregator.New(aggregator.Config{Streaming: true, SigFigs: 3, Buckets: 30, Log: log})
	if err != nil {
		b.Fatal(err)
	}
	mix := buildFoldMix(2048, 64, 8)
	var dec events.Decoder
	var batch events.Batch
	for _, f := range append([][]byte{mix.setup}, mix.frames...) {
		batch.Reset()
		if err := dec.DecodeFrame(f, &batch); err != nil {
			b.Fatal(err)
		}
		agg.Process(batch.Records)
	}
	dir, err := os.MkdirTemp("", "agb")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	pub, err := transport.NewPublisher(transport.IPCEndpoint(dir, "met"), log)
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close(0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub, err := transport.NewSubscriber(ctx, transport.IPCEndpoint(dir, "ev"), log)
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Close()
	exp, err := promexport.Start("127.0.0.1:0", promexport.RunInfo{}, log)
	if err != nil {
		b.Fatal(err)
	}
	defer exp.Close(0)

	for _, c := range []struct {
		name string
		exp  *promexport.Exporter
	}{{"off", nil}, {"prometheus", exp}} {
		b.Run(c.name, func(b *testing.B) {
			o := &owner{log: log, agg: agg, pub: pub, sub: sub, exp: c.exp}
			o.publishLive()
			b.ReportAllocs()
			for b.Loop() {
				o.publishLive()
			}
		})
	}
	b.Run("export-only", func(b *testing.B) {
		o := &owner{log: log, agg: agg, pub: pub, sub: sub, exp: exp}
		o.publishLive()
		b.ReportAllocs()
		for b.Loop() {
			o.export(&o.snap)
		}
	})
}
