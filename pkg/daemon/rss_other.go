//go:build !linux

package daemon

// maxRSSBytes is not measured outside Linux.
func maxRSSBytes() int64 { return 0 }
