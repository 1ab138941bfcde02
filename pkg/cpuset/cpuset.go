// Package cpuset finds the CPUs the aggregator may use and starts worker
// processes pinned to blocks of them.
//
// The drain at ENDED fans token counting out over one shardworker process
// per block of CPUs (Plan) across the whole allowed universe (Universe),
// while the daemon itself stays on the mask it inherited from the benchmark
// (Inherited): the load generator pins its children narrowly, and the daemon
// must neither move its own threads nor be limited to that mask when sizing
// the drain. StartPinned gives a child its block before the child runs a
// single instruction, so every thread it ever creates inherits the block.
//
// Linux only has an affinity API here; elsewhere Supported reports false,
// StartPinned starts unpinned and callers cap GOMAXPROCS to the block size.
package cpuset

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// maxCPU bounds the ids Parse accepts, so a corrupt range such as
// "0-4000000000" is an error instead of a multi-gigabyte allocation. Linux's
// largest NR_CPUS is 8192; this leaves ample headroom.
const maxCPU = 1<<16 - 1

// Set is a set of logical CPU ids, sorted ascending without duplicates.
// The zero value (nil) is the empty set. Functions of this package always
// return normalized sets.
type Set []int

// Parse reads the kernel's CPU list format ("0-3,8,10-11"), as found in
// /sys/devices/system/cpu/online, cgroup cpuset files and the
// Cpus_allowed_list line of /proc/PID/status. Surrounding whitespace and
// whitespace around elements is ignored; the empty string is the empty set
// (an empty cpuset file is legal). Overlapping or unordered elements are
// normalized.
func Parse(list string) (Set, error) {
	list = strings.TrimSpace(list)
	if list == "" {
		return nil, nil
	}
	var s Set
	for elem := range strings.SplitSeq(list, ",") {
		elem = strings.TrimSpace(elem)
		lo, hi, isRange := strings.Cut(elem, "-")
		first, err := parseID(lo)
		if err != nil {
			return nil, fmt.Errorf("cpuset: parse %q: element %q: %w", list, elem, err)
		}
		last := first
		if isRange {
			if last, err = parseID(hi); err != nil {
				return nil, fmt.Errorf("cpuset: parse %q: element %q: %w", list, elem, err)
			}
			if last < first {
				return nil, fmt.Errorf("cpuset: parse %q: element %q: range is reversed", list, elem)
			}
		}
		for id := first; id <= last; id++ {
			s = append(s, id)
		}
	}
	slices.Sort(s)
	return slices.Compact(s), nil
}

// parseID reads one decimal CPU id in [0, maxCPU].
func parseID(text string) (int, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, fmt.Errorf("missing cpu id")
	}
	// ParseUint refuses signs, so "-1" and "+1" are errors too.
	id, err := strconv.ParseUint(text, 10, 32)
	if err != nil || id > maxCPU {
		return 0, fmt.Errorf("invalid cpu id %q (want 0..%d)", text, maxCPU)
	}
	return int(id), nil
}

// String formats s in the kernel's CPU list format, runs of consecutive ids
// collapsed into ranges ("0-3,8,10-11"); the empty set is "". Parse reads it
// back unchanged.
func (s Set) String() string {
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(s[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(s[j]))
		}
		i = j + 1
	}
	return b.String()
}

// Contains reports whether cpu is in s.
func (s Set) Contains(cpu int) bool {
	_, found := slices.BinarySearch(s, cpu)
	return found
}

// Equal reports whether s and other hold the same CPUs (nil equals empty).
func (s Set) Equal(other Set) bool {
	return slices.Equal(s, other)
}

// Intersect returns the CPUs in both s and other, as a new set.
func (s Set) Intersect(other Set) Set {
	var out Set
	for i, j := 0, 0; i < len(s) && j < len(other); {
		switch {
		case s[i] < other[j]:
			i++
		case s[i] > other[j]:
			j++
		default:
			out = append(out, s[i])
			i++
			j++
		}
	}
	return out
}

// IsSubsetOf reports whether every CPU of s is in other.
func (s Set) IsSubsetOf(other Set) bool {
	return len(s.Intersect(other)) == len(s)
}
