package tokenize

// mergeTable maps a pair of token ids to (rank, merged id): an
// open-addressing hash table, faster than a Go map on the merge loop.
type mergeTable struct {
	keys  []uint64 // a<<32 | b; emptyKey when free
	vals  []uint64 // rank<<32 | new id
	shift uint
	n     int
}

const emptyKey = ^uint64(0)

func newMergeTable(n int) *mergeTable {
	size := 16
	bits := uint(4)
	for size < n+n/3+1 {
		size <<= 1
		bits++
	}
	t := &mergeTable{keys: make([]uint64, size), vals: make([]uint64, size), shift: 64 - bits}
	for i := range t.keys {
		t.keys[i] = emptyKey
	}
	return t
}

func (t *mergeTable) slot(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> t.shift }

// put inserts or overwrites (a later duplicate merge wins, as in HF's map).
func (t *mergeTable) put(a, b, rank, id uint32) {
	if 4*(t.n+1) > 3*len(t.keys) {
		t.grow()
	}
	k := uint64(a)<<32 | uint64(b)
	mask := uint64(len(t.keys) - 1)
	for i := t.slot(k); ; i = (i + 1) & mask {
		switch t.keys[i] {
		case emptyKey:
			t.keys[i] = k
			t.vals[i] = uint64(rank)<<32 | uint64(id)
			t.n++
			return
		case k:
			t.vals[i] = uint64(rank)<<32 | uint64(id)
			return
		}
	}
}

func (t *mergeTable) grow() {
	nt := newMergeTable(len(t.keys))
	for i, k := range t.keys {
		if k != emptyKey {
			v := t.vals[i]
			nt.put(uint32(k>>32), uint32(k), uint32(v>>32), uint32(v))
		}
	}
	*t = *nt
}

// get returns rank and merged id of the pair, ok=false if it has no merge.
func (t *mergeTable) get(a, b uint32) (rank, id uint32, ok bool) {
	k := uint64(a)<<32 | uint64(b)
	mask := uint64(len(t.keys) - 1)
	for i := t.slot(k); ; i = (i + 1) & mask {
		switch t.keys[i] {
		case k:
			v := t.vals[i]
			return uint32(v >> 32), uint32(v), true
		case emptyKey:
			return 0, 0, false
		}
	}
}

// pairSet is a set of rune pairs (open addressing).
type pairSet struct {
	keys  []uint64
	shift uint
	n     int
}

func newPairSet(n int) *pairSet {
	size := 16
	bits := uint(4)
	for size < 2*n {
		size <<= 1
		bits++
	}
	s := &pairSet{keys: make([]uint64, size), shift: 64 - bits}
	for i := range s.keys {
		s.keys[i] = emptyKey
	}
	return s
}

func (s *pairSet) add(a, b rune) {
	if 2*(s.n+1) > len(s.keys) {
		old := s.keys
		ns := newPairSet(2 * len(old))
		for _, k := range old {
			if k != emptyKey {
				ns.addKey(k)
			}
		}
		*s = *ns
	}
	s.addKey(uint64(uint32(a))<<32 | uint64(uint32(b)))
}

func (s *pairSet) addKey(k uint64) {
	mask := uint64(len(s.keys) - 1)
	for i := (k * 0x9E3779B97F4A7C15) >> s.shift; ; i = (i + 1) & mask {
		switch s.keys[i] {
		case emptyKey:
			s.keys[i] = k
			s.n++
			return
		case k:
			return
		}
	}
}

func (s *pairSet) has(a, b rune) bool {
	k := uint64(uint32(a))<<32 | uint64(uint32(b))
	mask := uint64(len(s.keys) - 1)
	for i := (k * 0x9E3779B97F4A7C15) >> s.shift; ; i = (i + 1) & mask {
		switch s.keys[i] {
		case k:
			return true
		case emptyKey:
			return false
		}
	}
}
