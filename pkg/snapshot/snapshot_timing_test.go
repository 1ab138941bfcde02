package snapshot

import (
	"bytes"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// Benchmarks use realisticSnapshot: 15 counters, 6 series × 12 percentiles
// × 30 buckets, 3 early-stopping maps. Run with
//
//	go test -run '^$' -bench . -benchmem ./pkg/snapshot/

func BenchmarkAppendMsgpack(b *testing.B) {
	s := realisticSnapshot()
	buf := AppendMsgpack(nil, s)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendMsgpack(buf[:0], s)
	}
}

// BenchmarkAppendFrame is the publisher's per-tick cost: topic + payload.
func BenchmarkAppendFrame(b *testing.B) {
	s := realisticSnapshot()
	buf := AppendFrame(nil, s)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFrame(buf[:0], s)
	}
}

// BenchmarkEncodeVmihailenco is the same encoding through vmihailenco's
// low-level Encoder into a reused bytes.Buffer, for comparison.
func BenchmarkEncodeVmihailenco(b *testing.B) {
	s := realisticSnapshot()
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := encodeVmihailencoTo(enc, s); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

func BenchmarkDecodeMsgpack(b *testing.B) {
	payload := AppendMsgpack(nil, realisticSnapshot())
	var s Snapshot
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := DecodeMsgpack(payload, &s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	s := realisticSnapshot()
	buf := AppendJSON(nil, s)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendJSON(buf[:0], s)
	}
}

func BenchmarkReadJSON(b *testing.B) {
	data := AppendJSON(nil, realisticSnapshot())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadJSON(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
