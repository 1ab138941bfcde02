package tokenize

// model is the last stage of the pipeline, HF's Model::tokenize: it turns
// one pre-token into token ids. A model is immutable; everything that
// changes while counting (scratch buffers, the word cache) belongs to the
// Counter, so counting stays allocation-free and lock-free.
//
// Implementations: bpeModel (BPE, and tiktoken rank files converted to
// it), wordPieceModel, wordLevelModel, unigramModel.
type model interface {
	// tokenize emits the ids of the non-empty pre-token w through
	// c.emit/c.emitAll, or returns an error where HF's encode fails.
	tokenize(c *Counter, w string) error
	// size is HF's get_vocab_size (without added tokens): added tokens
	// that are not in the vocab get ids from here on.
	size() int
	// tokenID is HF's token_to_id on the model's vocab.
	tokenID(s string) (uint32, bool)
}

// cached emits the ids of w from the Counter's word cache; false on a miss
// or when w is not cacheable. Words of maxCacheKey bytes or more are never
// cached, as in HF.
func (c *Counter) cached(w string) bool {
	if c.cache == nil || len(w) >= maxCacheKey {
		return false
	}
	ids, ok := c.cache.get(w)
	if ok {
		c.emitAll(ids)
	}
	return ok
}

// emitCached emits ids and, when w is cacheable, stores them as w's ids.
func (c *Counter) emitCached(w string, ids []uint32) {
	c.emitAll(ids)
	if c.cache != nil && len(w) < maxCacheKey {
		c.cache.put(w, ids)
	}
}
