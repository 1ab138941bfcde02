package daemon

import (
	"bytes"
	"os"
	"strconv"
)

// maxRSSBytes returns the process's peak resident set size (VmHWM), for the
// final log line that benchmarks read. getrusage's ru_maxrss is not used:
// it survives exec, so a child forked from a big parent reports the
// parent's size.
func maxRSSBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			kb, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}
