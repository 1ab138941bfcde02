//go:build !linux

package shard

import (
	"strconv"
	"testing"
)

const pdeathsigSupported = false

func itoa(i int) string           { return strconv.Itoa(i) }
func ownCPUs(t *testing.T) string { return "" }
func countCPUs(list string) int   { return 0 }
