package aggregator

import "unsafe"

// none marks an unset timestamp in a row (Python None). Real timestamps are
// monotonic nanoseconds and never reach it.
const none int64 = -1 << 63

// inlineKey is the longest sample uuid stored inside its row; uuid4().hex is
// 32 bytes. Longer uuids get a heap string (one allocation per such sample).
const inlineKey = 48

const pageBits = 10
const pageSize = 1 << pageBits

// row is the per-sample state of one tracked, in-flight sample
// (upstream SampleRow).
type row struct {
	issued    int64
	recvFirst int64
	lastRecv  int64
	block     int32 // index into Table.blocks; -1 when none
	keyLen    uint8
	key       [inlineKey]byte
}

// block is one START_PERFORMANCE_TRACKING → last tracked completion window.
type block struct {
	start        int64
	lastComplete int64
	completed    int64
}

// Table holds the in-flight tracked samples and the session-level tracking
// state (upstream MetricsTable, minus trigger dispatch, which lives in
// Aggregator so the hot path needs no interface calls).
//
// Rows live in fixed pages that never move, so a map key can point at the
// uuid bytes stored inside its own row: creating a row allocates nothing
// once the pages and the map have grown to the run's in-flight peak.
type Table struct {
	index map[string]int32
	pages [][]row
	free  []int32

	tracking bool
	blocks   []block

	// Legacy LoadGen window anchors.
	windowStart  int64 // first tracked ISSUED, none until then
	maxIssued    int64 // largest issued_ns of a completed tracked sample; -1 as upstream
	windowEnd    int64 // completion of that sample, none until then
	sessionStart int64
}

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{
		index:        make(map[string]int32, 1024),
		windowStart:  none,
		maxIssued:    -1,
		windowEnd:    none,
		sessionStart: none,
	}
}

// Len returns the number of in-flight tracked samples.
func (t *Table) Len() int { return len(t.index) }

// Tracking reports whether a performance-tracking block is open.
func (t *Table) Tracking() bool { return t.tracking }

func (t *Table) at(i int32) *row { return &t.pages[i>>pageBits][i&(pageSize-1)] }

// lookup returns the row of uuid, or nil. It does not allocate.
func (t *Table) lookup(uuid []byte) *row {
	i, ok := t.index[string(uuid)]
	if !ok {
		return nil
	}
	return t.at(i)
}

// has reports whether uuid has an in-flight row.
func (t *Table) has(uuid []byte) bool {
	_, ok := t.index[string(uuid)]
	return ok
}

// create returns the row for uuid, creating it when absent. dup reports an
// existing row (a duplicate ISSUED, which upstream keeps).
func (t *Table) create(uuid []byte) (r *row, dup bool) {
	if i, ok := t.index[string(uuid)]; ok {
		return t.at(i), true
	}
	if len(t.free) == 0 {
		base := int32(len(t.pages) * pageSize)
		t.pages = append(t.pages, make([]row, pageSize))
		for j := int32(pageSize - 1); j >= 0; j-- {
			t.free = append(t.free, base+j)
		}
	}
	i := t.free[len(t.free)-1]
	t.free = t.free[:len(t.free)-1]
	r = t.at(i)
	*r = row{issued: none, recvFirst: none, lastRecv: none, block: -1}
	var key string
	if len(uuid) <= inlineKey {
		r.keyLen = uint8(copy(r.key[:], uuid))
		key = unsafe.String(&r.key[0], len(uuid))
	} else {
		key = string(uuid)
	}
	t.index[key] = i
	return r, false
}

// remove deletes the row of uuid.
func (t *Table) remove(uuid []byte) {
	i, ok := t.index[string(uuid)]
	if !ok {
		return
	}
	delete(t.index, string(uuid))
	t.free = append(t.free, i)
}

// startTracking opens a tracked block at ts unless one is open.
func (t *Table) startTracking(ts int64) {
	if t.tracking {
		return
	}
	t.tracking = true
	t.blocks = append(t.blocks, block{start: ts, lastComplete: ts})
}

// stopTracking closes tracking; the block's duration keeps growing with
// late completions of its samples.
func (t *Table) stopTracking() { t.tracking = false }

// completed extends the sample's block and the legacy window for a tracked
// completion at ts.
func (t *Table) completed(r *row, ts int64) {
	if b := r.block; b >= 0 && int(b) < len(t.blocks) {
		blk := &t.blocks[b]
		if ts > blk.lastComplete {
			blk.lastComplete = ts
		}
		blk.completed++
	}
	if r.issued != none && r.issued > t.maxIssued {
		t.maxIssued = r.issued
		t.windowEnd = ts
	}
}

// TrackedDurationNs is the sum over blocks of (last tracked completion -
// block start).
func (t *Table) TrackedDurationNs() int64 {
	var sum int64
	for _, b := range t.blocks {
		sum += b.lastComplete - b.start
	}
	return sum
}

// CompletedTrackedSamples is the number of tracked completions over all blocks.
func (t *Table) CompletedTrackedSamples() int64 {
	var n int64
	for _, b := range t.blocks {
		n += b.completed
	}
	return n
}

// LoadgenWindowNs is the legacy MLPerf LoadGen window: completion of the
// last-issued completed tracked sample minus the first tracked ISSUED; 0
// when no tracked sample completed.
func (t *Table) LoadgenWindowNs() int64 {
	if t.windowEnd == none || t.windowStart == none {
		return 0
	}
	return max(0, t.windowEnd-t.windowStart)
}

// Blocks returns the number of tracked blocks opened so far.
func (t *Table) Blocks() int { return len(t.blocks) }
