package snapshot

import (
	"errors"
	"testing"
)

// TestAccessorsReportAbsence: one rule for a value a snapshot lacks: the
// accessors say so; present values come back exactly.
func TestAccessorsReportAbsence(t *testing.T) {
	s := &Snapshot{
		Counters: []Counter{{Name: TotalSamplesIssued, Value: Int(12)}, {Name: TrackedDurationNs, Value: Int(0)}},
		Series:   []Series{{Name: OSL, Count: 2, Percentiles: []Percentile{{Key: "99.9", Value: 7}, {Key: "50.0", Value: 3}}}},
	}
	if v, ok := s.CounterValue(TotalSamplesIssued); !ok || v != 12 {
		t.Errorf("issued = %v, %v", v, ok)
	}
	if v, ok := s.CounterValue(TrackedDurationNs); !ok || v != 0 {
		t.Errorf("a zero counter is present: %v, %v", v, ok)
	}
	if _, ok := s.CounterValue(TotalDurationNs); ok {
		t.Error("absent counter reported present")
	}
	if s.FindSeries(ISL) != nil || s.FindSeries(OSL) == nil {
		t.Error("FindSeries")
	}
	se := s.FindSeries(OSL)
	for p, want := range map[float64]float64{99.9: 7, 50: 3} {
		if v, ok := se.Percentile(p); !ok || v != want {
			t.Errorf("p%v = %v, %v; want %v", p, v, ok, want)
		}
	}
	if _, ok := se.Percentile(90); ok {
		t.Error("absent percentile reported present")
	}
}

// TestDecodeFrameMirrorsAppendFrame: DecodeFrame reads what AppendFrame
// writes, and refuses a frame of another topic.
func TestDecodeFrameMirrorsAppendFrame(t *testing.T) {
	in := &Snapshot{Counter: 3, TimestampNs: 99, State: Draining, NPendingTasks: 4,
		Counters: []Counter{{Name: TotalSamplesIssued, Value: Int(5)}}}
	var out Snapshot
	if err := DecodeFrame(AppendFrame(nil, in), &out); err != nil {
		t.Fatal(err)
	}
	if out.Counter != 3 || out.TimestampNs != 99 || out.State != Draining || out.NPendingTasks != 4 ||
		len(out.Counters) != 1 || out.Counters[0].Value.I != 5 {
		t.Errorf("round trip: %+v", out)
	}
	frame := AppendFrame(nil, in)
	copy(frame, "EVT")
	if err := DecodeFrame(frame, &out); !errors.Is(err, ErrNotSnapshotFrame) {
		t.Errorf("foreign topic: %v", err)
	}
	if err := DecodeFrame([]byte("MET"), &out); !errors.Is(err, ErrNotSnapshotFrame) {
		t.Errorf("short frame: %v", err)
	}
}
