// Package tokenize counts tokens exactly as Hugging Face tokenizers (Rust)
// does with encode(text, add_special_tokens=False), from a model's
// tokenizer.json, in pure Go.
//
// Supported: BPE models (both merge formats, ignore_merges, byte_fallback,
// unk_token with fuse_unk, continuing_subword_prefix, end_of_word_suffix);
// every normalizer of the library (NFC, NFD, NFKC, NFKD, Bert, Nmt,
// Precompiled, ByteLevel, Lowercase, Strip, StripAccents, Prepend, Replace,
// Sequence) and every pre-tokenizer (Split, ByteLevel, Metaspace, Digits,
// Whitespace, WhitespaceSplit, CharDelimiterSplit, BertPreTokenizer,
// Punctuation, UnicodeScripts, FixedLength, Sequence); truncation and Fixed
// padding as encode_batch applies them; added tokens with HF's matching
// rules. Anything else is refused at load time, never approximated.
//
// Invalid UTF-8 (which HF's string API cannot receive) is replaced with
// U+FFFD per maximal invalid subsequence before counting, like Rust's
// String::from_utf8_lossy.
package tokenize

import "sync"

// Tokenizer is a loaded tokenizer.json. It is immutable and safe for
// concurrent use.
type Tokenizer struct {
	identity string
	config   *Config
	norm     normalizer // nil: none
	pre      []preStage
	model    model
	// noWordCache: the model is a single lookup (WordLevel), cheaper than
	// the word cache.
	noWordCache bool
	added       *addedVocab
	limits      *limits // truncation and padding; nil: none

	nBufSlots, nIntSlots int
	pool                 sync.Pool // of *Counter
}

// Count returns the number of tokens of text (see Counter.Count). It is
// safe for concurrent use: each call borrows a Counter from a pool.
func (t *Tokenizer) Count(text string) int {
	c := t.pool.Get().(*Counter)
	n := c.Count(text)
	t.pool.Put(c)
	return n
}

// CountBatch appends the count of each text to out and returns it.
func (t *Tokenizer) CountBatch(texts []string, out []int) []int {
	c := t.pool.Get().(*Counter)
	for _, s := range texts {
		out = append(out, c.Count(s))
	}
	t.pool.Put(c)
	return out
}

// Encode returns the token ids of text (for tests and debugging); nil if
// the text could not be tokenized.
func (t *Tokenizer) Encode(text string) []int {
	c := t.pool.Get().(*Counter)
	ids, err := c.Encode(text)
	t.pool.Put(c)
	if err != nil {
		return nil
	}
	return ids
}

// Identity is a stable identity of the tokenizer: "sha256:" and the hex
// SHA-256 of the tokenizer.json bytes.
func (t *Tokenizer) Identity() string { return t.identity }

// Config is the parsed tokenizer_config.json (empty when LoadFile was used
// or the directory has none).
func (t *Tokenizer) Config() *Config { return t.config }

// VocabSize is the number of entries of the model vocab (without added
// tokens).
func (t *Tokenizer) VocabSize() int { return t.model.size() }
