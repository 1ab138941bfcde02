package tokqueue

import "hash/maphash"

// Key identifies a text by content: two independent 64-bit maphash values,
// 128 bits in all. For n distinct texts the chance of any collision is
// about n²/2¹²⁹ (10⁻²⁶ at a million texts), far below the chance of a
// memory error.
type Key struct{ a, b uint64 }

// hasher holds the two seeds; they are random per process, which is fine
// because the cache lives for one run.
type hasher struct{ s1, s2 maphash.Seed }

func newHasher() hasher { return hasher{maphash.MakeSeed(), maphash.MakeSeed()} }

func (h hasher) key(s string) Key {
	return Key{maphash.String(h.s1, s), maphash.String(h.s2, s)}
}

// cache maps text keys to token counts for the whole run, so each distinct
// text is tokenized once.
type cache struct {
	m            map[Key]int32
	hits, misses int64
}

func (c *cache) get(k Key) (int32, bool) {
	n, ok := c.m[k]
	if ok {
		c.hits++
	}
	return n, ok
}

func (c *cache) put(k Key, n int32) {
	if c.m == nil {
		c.m = make(map[Key]int32)
	}
	c.m[k] = n
}

// HitRate returns cache hits / lookups (0 when nothing was looked up).
func (c *cache) hitRate() float64 {
	if t := c.hits + c.misses; t > 0 {
		return float64(c.hits) / float64(t)
	}
	return 0
}
