package pretok

// HasScanner reports whether Compile has a hand-written scanner for
// pattern.
func HasScanner(pattern string) bool {
	_, ok := scanners[pattern]
	return ok
}
