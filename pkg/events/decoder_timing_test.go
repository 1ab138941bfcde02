package events

import "testing"

// benchFrames is the realistic streaming mix in batch frames of 1000.
func benchFrames(b *testing.B) ([][]byte, int) {
	b.Helper()
	const n = 20000
	return batchFrames(genMix(n, 42), 1000), n
}

func reportRate(b *testing.B, n int) {
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDecodeFrame measures the hand-written hot path.
func BenchmarkDecodeFrame(b *testing.B) {
	frames, n := benchFrames(b)
	size := 0
	for _, f := range frames {
		size += len(f)
	}
	d := testDecoder()
	var batch Batch
	_ = d.DecodeFrame(frames[0], &batch) // size the reusable batch once
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range frames {
			batch.Reset()
			if err := d.DecodeFrame(f, &batch); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportRate(b, n)
}

// BenchmarkDecodeFrameReference measures the msgpack/v5 based reference
// decoder on the same input, for the ratio.
func BenchmarkDecodeFrameReference(b *testing.B) {
	frames, n := benchFrames(b)
	size := 0
	for _, f := range frames {
		size += len(f)
	}
	r := newRefDecoder(func() int64 { return fixedNow })
	var batch Batch
	_ = r.decodeFrame(frames[0], &batch)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range frames {
			batch.Reset()
			if err := r.decodeFrame(f, &batch); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportRate(b, n)
}
