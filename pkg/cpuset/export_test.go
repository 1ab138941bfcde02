package cpuset

import "slices"

// Of returns the normalized set of the given ids (sorted, duplicates
// removed). Negative ids are dropped.
func Of(ids ...int) Set {
	s := make(Set, 0, len(ids))
	for _, id := range ids {
		if id >= 0 {
			s = append(s, id)
		}
	}
	slices.Sort(s)
	return slices.Compact(s)
}
