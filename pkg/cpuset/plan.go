package cpuset

// DefaultPerBlock is the CPUs per drain worker, upstream's CORES_PER_WORKER:
// a single BPE pass scales to about eight cores, so disjoint blocks of eight
// are how the whole machine is used.
const DefaultPerBlock = 8

// Plan splits universe into the CPU blocks of the drain workers, one worker
// per block, exactly as upstream's BatchTokenizer sizes its shard pool:
// max(1, len(universe)/perBlock) blocks of perBlock consecutive CPUs of the
// (sorted) universe. A universe smaller than one block gives a single,
// smaller block; CPUs left over after the last full block (9 CPUs with
// perBlock 8 leaves one) belong to no block — a short block would get an
// equal share of the balanced drain and finish last, so upstream leaves
// them to the daemon and the load generator instead.
//
// perBlock <= 0 means DefaultPerBlock. An empty universe gives one empty
// block, which StartPinned treats as "start unpinned", so there is always
// at least one worker. The blocks alias universe.
func Plan(universe Set, perBlock int) []Set {
	if perBlock <= 0 {
		perBlock = DefaultPerBlock
	}
	if len(universe) <= perBlock {
		return []Set{universe}
	}
	blocks := make([]Set, len(universe)/perBlock)
	for i := range blocks {
		blocks[i] = universe[i*perBlock : (i+1)*perBlock : (i+1)*perBlock]
	}
	return blocks
}
