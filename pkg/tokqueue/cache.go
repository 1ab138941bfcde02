package tokqueue

import (
	"hash/maphash"

	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// Key identifies a text by content: two independent 64-bit maphash values,
// 128 bits in all. For n distinct texts the chance of any collision is
// about n²/2¹²⁹ (10⁻²⁶ at a million texts), far below the chance of a
// memory error.
type Key struct{ a, b uint64 }

// hasher holds the two seeds; they are random per process, which is fine
// because the cache lives for one run.
type hasher struct{ s1, s2 maphash.Seed }

func newHasher() hasher { return hasher{maphash.MakeSeed(), maphash.MakeSeed()} }

// key is the cache key of a payload of kind k: the same bytes as a text
// and as a structured payload are different items.
func (h hasher) key(k tokwork.Kind, s string) Key {
	mix := uint64(k) * 0x9E3779B97F4A7C15
	return Key{maphash.String(h.s1, s) ^ mix, maphash.String(h.s2, s) ^ mix}
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
