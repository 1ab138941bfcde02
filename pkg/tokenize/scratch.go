package tokenize

import (
	"unsafe"

	"golang.org/x/text/unicode/norm"
)

// scratch holds reusable buffers for the components of one tokenizer,
// indexed by slot numbers assigned when the tokenizer is loaded.
type scratch struct {
	bufs [][]byte
	ints [][]int
	iter norm.Iter // exact normalization forms
}

func newScratch(nbufs, nints int) *scratch {
	return &scratch{bufs: make([][]byte, nbufs), ints: make([][]int, nints)}
}

// unsafeString views b as a string without copying; b must not change
// while the string is in use.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
