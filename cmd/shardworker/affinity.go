package main

import "github.com/mlperf-tools/aggregator/pkg/cpuset"

// affinity returns this process's CPU affinity mask as a kernel list
// ("0-3,8") for the hello frame, or "" where it cannot be read (no
// affinity API).
func affinity() string {
	cpus, err := cpuset.Inherited()
	if err != nil {
		return ""
	}
	return cpus.String()
}
