package tokenize

import "hash/maphash"

// wordCache maps a pre-token (as it reaches the model) to its token ids.
// It belongs to one Counter (no locking); keys and ids live in two arenas
// and the table is an open-addressing array, so a hit allocates nothing
// and a full cache is simply reset.
type wordCache struct {
	seed  maphash.Seed
	slots []cacheSlot
	keys  []byte
	ids   []uint32
	n     int
}

type cacheSlot struct {
	hash       uint64 // 0 = free
	koff, klen uint32
	ioff, ilen uint32
}

const (
	cacheSlots    = 1 << 15
	cacheMaxWords = cacheSlots / 2
	cacheMaxBytes = 1 << 20
	// maxCacheKey is HF's MAX_LENGTH: longer words are not cached.
	maxCacheKey = 256
)

func newWordCache() *wordCache {
	return &wordCache{
		seed:  maphash.MakeSeed(),
		slots: make([]cacheSlot, cacheSlots),
		keys:  make([]byte, 0, 64<<10),
		ids:   make([]uint32, 0, 16<<10),
	}
}

func (c *wordCache) hash(s string) uint64 {
	h := maphash.String(c.seed, s)
	if h == 0 {
		h = 1
	}
	return h
}

func (c *wordCache) get(s string) ([]uint32, bool) {
	h := c.hash(s)
	mask := uint64(len(c.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &c.slots[i]
		if sl.hash == 0 {
			return nil, false
		}
		if sl.hash == h && string(c.keys[sl.koff:sl.koff+sl.klen]) == s {
			return c.ids[sl.ioff : sl.ioff+sl.ilen], true
		}
	}
}

func (c *wordCache) put(s string, ids []uint32) {
	if c.n >= cacheMaxWords || len(c.keys)+len(s) > cacheMaxBytes || len(c.ids)+len(ids) > cacheMaxBytes {
		c.reset()
	}
	h := c.hash(s)
	mask := uint64(len(c.slots) - 1)
	i := h & mask
	for c.slots[i].hash != 0 {
		sl := &c.slots[i]
		if sl.hash == h && string(c.keys[sl.koff:sl.koff+sl.klen]) == s {
			return
		}
		i = (i + 1) & mask
	}
	c.slots[i] = cacheSlot{
		hash: h,
		koff: uint32(len(c.keys)), klen: uint32(len(s)),
		ioff: uint32(len(c.ids)), ilen: uint32(len(ids)),
	}
	c.keys = append(c.keys, s...)
	c.ids = append(c.ids, ids...)
	c.n++
}

func (c *wordCache) reset() {
	clear(c.slots)
	c.keys = c.keys[:0]
	c.ids = c.ids[:0]
	c.n = 0
}
