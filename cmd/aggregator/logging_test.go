package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// clampEvents writes a tracked run whose one prompt is pre-tokenized and
// empty: ISL 0 is below the HDR view's lower bound, so the registry logs
// its warn-once clamp line.
func clampEvents(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clamp.jsonl")
	recs := []string{
		`{"event_type":"session.started","timestamp_ns":1000,"sample_uuid":"","conversation_id":"","turn":null,"data":null}`,
		`{"event_type":"session.start_performance_tracking","timestamp_ns":2000,"sample_uuid":"","conversation_id":"","turn":null,"data":null}`,
		`{"event_type":"sample.issued","timestamp_ns":3000,"sample_uuid":"s1","conversation_id":"","turn":null,"data":["PromptData",null,[]]}`,
		`{"event_type":"sample.complete","timestamp_ns":9000,"sample_uuid":"s1","conversation_id":"","turn":null,"data":["TextModelOutput","hi"]}`,
		`{"event_type":"session.ended","timestamp_ns":10000,"sample_uuid":"","conversation_id":"","turn":null,"data":null}`,
	}
	if err := os.WriteFile(path, []byte(strings.Join(recs, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDaemonLogFlagsReachEveryLogger: with --log-format json every line
// the daemon writes is JSON, the metrics registry's warnings included
// (they used to bypass the configured logger), and --log-level error
// silences them.
func TestDaemonLogFlagsReachEveryLogger(t *testing.T) {
	t.Parallel()
	events := clampEvents(t)
	for _, level := range []string{"info", "error"} {
		t.Run(level, func(t *testing.T) {
			t.Parallel()
			res, out := launch(t, events, []string{"--settle", "0.2"},
				[]string{"--log-format", "json", "--log-level", level, "--publish-interval", "0.05"})
			if res.Exit != 0 {
				t.Fatalf("exit %d", res.Exit)
			}
			logb, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
			clamp := 0
			for _, l := range strings.Split(strings.TrimSpace(string(logb)), "\n") {
				if l == "" {
					continue
				}
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Errorf("not a JSON log line: %q", l)
					continue
				}
				if strings.Contains(m["msg"].(string), "outside HDR bounds") {
					clamp++
					if m["level"] != "WARN" {
						t.Errorf("clamp line level %v, want WARN", m["level"])
					}
				}
			}
			if want := map[string]int{"info": 1, "error": 0}[level]; clamp != want {
				t.Errorf("%d clamp warnings at --log-level %s, want %d:\n%s", clamp, level, want, logb)
			}
		})
	}
}
