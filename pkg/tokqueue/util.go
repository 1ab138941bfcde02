package tokqueue

import (
	"fmt"
	"strconv"
	"strings"
)

func errCountMismatch(got, want int) error {
	return fmt.Errorf("worker returned %d results for %d texts", got, want)
}

// cpusString formats a CPU list compactly ("0-3,6"); "inherited" for nil.
func cpusString(cpus []int) string {
	if cpus == nil {
		return "inherited"
	}
	var sb strings.Builder
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if sb.Len() > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.Itoa(cpus[i]))
		if j > i {
			sb.WriteByte('-')
			sb.WriteString(strconv.Itoa(cpus[j]))
		}
		i = j + 1
	}
	return sb.String()
}
