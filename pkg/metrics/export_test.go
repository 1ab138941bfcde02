package metrics

import (
	"fmt"
	"strconv"
)

// Test-only entry points into the early-stopping code.

// ESTargetsFromGridKeys is es_targets_from_grid over string grid entries
// (summary-JSON percentile keys such as "99.0"): each key is parsed as a
// float and kept verbatim as the target's key.
func ESTargetsFromGridKeys(keys []string) ([]ESTarget, error) {
	grid := make([]float64, len(keys))
	for i, k := range keys {
		v, err := strconv.ParseFloat(k, 64)
		if err != nil {
			return nil, fmt.Errorf("early-stopping grid key %q: %w", k, err)
		}
		grid[i] = v
	}
	return ESTargetsFromGrid(grid, keys), nil
}

// FindMinPassing is LoadGen's MinPassingQueriesFinder (upstream
// find_min_passing): the smallest h with odds(h, t, p, d) < 1-c, i.e. the
// number of under-latency queries that, alongside t over-latency ones,
// certifies the p-percentile (p a fraction in (0, 1)) at confidence c.
func FindMinPassing(t int, p, d, c float64) (int, error) {
	if err := validateDomain(p, d, c); err != nil {
		return 0, err
	}
	return findMinPassing(t, p, d, c), nil
}
