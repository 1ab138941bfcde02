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
	// c.emit/c.emitAll/c.emitCached, or returns an error where HF's encode
	// fails. Counter.word has already looked w up in the word cache.
	tokenize(c *Counter, w string) error
	// size is HF's get_vocab_size (without added tokens): added tokens
	// that are not in the vocab get ids from here on.
	size() int
	// tokenID is HF's token_to_id on the model's vocab.
	tokenID(s string) (uint32, bool)
}

// emitCached emits ids and, when w is cacheable, stores them as w's ids.
func (c *Counter) emitCached(w string, ids []uint32) {
	c.emitAll(ids)
	if c.cache != nil && len(w) < maxCacheKey {
		c.cache.put(w, ids)
	}
}
