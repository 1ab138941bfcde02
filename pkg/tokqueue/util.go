package tokqueue

import (
	"fmt"

	"github.com/mlperf-tools/aggregator/pkg/cpuset"
)

func errCountMismatch(got, want int) error {
	return fmt.Errorf("worker returned %d results for %d texts", got, want)
}

// cpusString formats a CPU list compactly ("0-3,6"); "inherited" for nil.
func cpusString(cpus []int) string {
	if cpus == nil {
		return "inherited"
	}
	return cpuset.Set(cpus).String()
}
