package tokenize

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/mlperf-tools/aggregator/pkg/tokenize/pretok"
)

// LoadDir loads dir/tokenizer.json and, when present,
// dir/tokenizer_config.json and the chat-template files
// (chat_template.jinja, additional_chat_templates/*.jinja), which replace
// the config's chat templates as in transformers (chattemplates.go). A
// directory without tokenizer.json is loaded from its tiktoken rank file
// (see TiktokenFiles), with the split pattern and special tokens its
// tokenizer_config.json or file name gives.
func LoadDir(dir string) (*Tokenizer, error) {
	cfg := &Config{}
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	data, err := os.ReadFile(cfgPath)
	switch {
	case err == nil:
		if cfg, err = ParseConfig(data); err != nil {
			return nil, fmt.Errorf("%s: %w", cfgPath, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("read tokenizer config: %w", err)
	}
	if err := cfg.applyChatTemplateFiles(dir); err != nil {
		return nil, err
	}
	jsonPath := filepath.Join(dir, "tokenizer.json")
	if _, err := os.Stat(jsonPath); errors.Is(err, os.ErrNotExist) {
		rankFile, err := findTiktoken(dir)
		if err != nil {
			return nil, err
		}
		return loadTiktoken(rankFile, cfg)
	}
	t, err := LoadFile(jsonPath)
	if err != nil {
		return nil, err
	}
	t.config = cfg
	return t, nil
}

// LoadFile loads a tokenizer.json. Every component must be one this
// package reproduces exactly; anything else is refused with an error
// naming it.
func LoadFile(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tokenizer: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse builds a Tokenizer from the bytes of a tokenizer.json.
func Parse(data []byte) (*Tokenizer, error) {
	sum := sha256.Sum256(data)
	t := &Tokenizer{identity: "sha256:" + hex.EncodeToString(sum[:]), config: &Config{}}
	spans := map[string][]byte{}
	sc := &jsonScanner{data: data}
	err := sc.object(func(key string) error {
		v, err := sc.skip()
		spans[key] = v // a later duplicate key wins, as in HF
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("parse tokenizer.json: %w", err)
	}
	if sc.peek() != 0 {
		return nil, errors.New("parse tokenizer.json: trailing data")
	}
	if v, ok := spans["version"]; ok {
		var s string
		if json.Unmarshal(v, &s) != nil || s != "1.0" {
			return nil, fmt.Errorf("unknown tokenizer version %s", v)
		}
	}
	var lim limits
	if v, ok := spans["truncation"]; ok && !isNull(v) {
		if err := lim.parseTruncation(v); err != nil {
			return nil, err
		}
	}
	if v, ok := spans["padding"]; ok && !isNull(v) {
		if err := lim.parsePadding(v); err != nil {
			return nil, err
		}
	}
	if lim.truncate || lim.pad {
		t.limits = &lim
	}
	b := &builder{t: t}
	if v, ok := spans["normalizer"]; ok && !isNull(v) {
		n, err := b.normalizer(v)
		if err != nil {
			return nil, err
		}
		t.norm = n
	}
	if v, ok := spans["pre_tokenizer"]; ok && !isNull(v) {
		if err := b.preTokenizer(v); err != nil {
			return nil, err
		}
		for i, st := range t.pre {
			if st.kind == stageByteLevel && i != len(t.pre)-1 {
				return nil, errors.New("unsupported pre_tokenizer: ByteLevel followed by other pre-tokenizers")
			}
		}
	}
	if v, ok := spans["post_processor"]; ok && !isNull(v) {
		if err := checkPostProcessor(v); err != nil {
			return nil, err
		}
	}
	mv, ok := spans["model"]
	if !ok {
		return nil, errors.New("tokenizer.json has no model")
	}
	byteLevel := len(t.pre) > 0 && t.pre[len(t.pre)-1].kind == stageByteLevel
	m, err := parseModel(mv, byteLevel)
	if err != nil {
		return nil, err
	}
	t.model = m
	_, t.noWordCache = m.(*wordLevelModel)
	var added []rawAddedToken
	if v, ok := spans["added_tokens"]; ok && !isNull(v) {
		if err := json.Unmarshal(v, &added); err != nil {
			return nil, fmt.Errorf("parse added_tokens: %w", err)
		}
	}
	if err := b.addedTokens(added); err != nil {
		return nil, err
	}
	t.nBufSlots, t.nIntSlots = b.nbufs, b.nints
	t.pool = sync.Pool{New: func() any { return t.NewCounter() }}
	return t, nil
}

func isNull(v []byte) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

func clip(v []byte) string {
	if len(v) > 80 {
		return string(v[:80]) + "…"
	}
	return string(v)
}

// builder assigns scratch slots while building components.
type builder struct {
	t            *Tokenizer
	nbufs, nints int
	fileIDs      bool // added tokens keep the ids given (tiktoken specials)
}

type component map[string]json.RawMessage

func (c component) typ() string {
	var s string
	_ = json.Unmarshal(c["type"], &s)
	return s
}

func (c component) str(key string) (string, bool, error) {
	v, ok := c[key]
	if !ok || isNull(v) {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", true, fmt.Errorf("field %s: %w", key, err)
	}
	return s, true, nil
}

func (c component) boolean(key string, def bool) (bool, error) {
	v, ok := c[key]
	if !ok || isNull(v) {
		return def, nil
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		return false, fmt.Errorf("field %s: %w", key, err)
	}
	return b, nil
}

// requiredBool reads a field HF's deserializer requires.
func (c component) requiredBool(what, key string) (bool, error) {
	if _, ok := c[key]; !ok {
		return false, fmt.Errorf("%s: missing field %q", what, key)
	}
	return c.boolean(key, false)
}

func parseComponent(v []byte) (component, error) {
	var c component
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, err
	}
	return c, nil
}

// pattern reads HF's {"String": s} / {"Regex": r} pattern.
func (c component) pattern(what string) (literal string, re pretok.Matcher, err error) {
	var p map[string]string
	if err := json.Unmarshal(c["pattern"], &p); err != nil || len(p) != 1 {
		return "", nil, fmt.Errorf("%s: bad pattern %s", what, clip(c["pattern"]))
	}
	if s, ok := p["String"]; ok {
		if s == "" {
			return "", nil, fmt.Errorf("unsupported %s: empty String pattern", what)
		}
		return s, nil, nil
	}
	if r, ok := p["Regex"]; ok {
		m, err := pretok.Compile(r)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", what, err)
		}
		return "", m, nil
	}
	return "", nil, fmt.Errorf("%s: bad pattern %s", what, clip(c["pattern"]))
}

func (b *builder) normalizer(v []byte) (normalizer, error) {
	c, err := parseComponent(v)
	if err != nil {
		return nil, fmt.Errorf("parse normalizer: %w", err)
	}
	switch typ := c.typ(); typ {
	case "NFC":
		return formNorm{norm.NFC}, nil
	case "NFD":
		return formNorm{norm.NFD}, nil
	case "NFKC":
		return formNorm{norm.NFKC}, nil
	case "NFKD":
		return formNorm{norm.NFKD}, nil
	case "Lowercase":
		return lowercaseNorm{}, nil
	case "StripAccents":
		return stripAccentsNorm{}, nil
	case "Strip":
		l, err := c.requiredBool("Strip normalizer", "strip_left")
		if err != nil {
			return nil, err
		}
		r, err := c.requiredBool("Strip normalizer", "strip_right")
		if err != nil {
			return nil, err
		}
		return stripNorm{l, r}, nil
	case "Prepend":
		p, ok, err := c.str("prepend")
		if err != nil || !ok {
			return nil, fmt.Errorf("normalizer Prepend: missing prepend (%v)", err)
		}
		return prependNorm{p}, nil
	case "Replace":
		lit, re, err := c.pattern("Replace normalizer")
		if err != nil {
			return nil, err
		}
		content, ok, err := c.str("content")
		if err != nil || !ok {
			return nil, fmt.Errorf("normalizer Replace: missing content (%v)", err)
		}
		n := replaceNorm{literal: lit, re: re, content: content, slot: b.nints}
		b.nints++
		return n, nil
	case "BertNormalizer", "Bert": // the library writes BertNormalizer and reads both
		var f [3]bool
		for i, k := range []string{"clean_text", "handle_chinese_chars", "lowercase"} {
			v, err := c.requiredBool("normalizer Bert", k)
			if err != nil {
				return nil, err
			}
			f[i] = v
		}
		strip, err := c.boolean("strip_accents", f[2]) // null: follows lowercase
		if err != nil {
			return nil, fmt.Errorf("normalizer Bert: %w", err)
		}
		n := bertNorm{clean: f[0], chinese: f[1], strip: strip, lower: f[2], slot: b.nbufs}
		b.nbufs += 2
		return n, nil
	case "Nmt":
		return nmtNorm{}, nil
	case "ByteLevel":
		return byteLevelNorm{}, nil
	case "Precompiled":
		m, ok, err := c.str("precompiled_charsmap")
		if err != nil || !ok {
			return nil, fmt.Errorf("normalizer Precompiled: missing precompiled_charsmap (%v)", err)
		}
		p, err := parsePrecompiled(m)
		if err != nil {
			return nil, fmt.Errorf("normalizer Precompiled: %w", err)
		}
		return p, nil
	case "Sequence":
		var list []json.RawMessage
		if err := json.Unmarshal(c["normalizers"], &list); err != nil {
			return nil, fmt.Errorf("normalizer Sequence: %w", err)
		}
		s := seqNorm{slot: b.nbufs}
		b.nbufs += 2
		for _, item := range list {
			n, err := b.normalizer(item)
			if err != nil {
				return nil, err
			}
			s.list = append(s.list, n)
		}
		return s, nil
	default:
		return nil, fmt.Errorf("unsupported normalizer %q", typ)
	}
}

func (b *builder) preTokenizer(v []byte) error {
	c, err := parseComponent(v)
	if err != nil {
		return fmt.Errorf("parse pre_tokenizer: %w", err)
	}
	t := b.t
	switch typ := c.typ(); typ {
	case "Sequence":
		var list []json.RawMessage
		if err := json.Unmarshal(c["pretokenizers"], &list); err != nil {
			return fmt.Errorf("pre_tokenizer Sequence: %w", err)
		}
		for _, item := range list {
			if err := b.preTokenizer(item); err != nil {
				return err
			}
		}
	case "Split":
		lit, re, err := c.pattern("Split pre_tokenizer")
		if err != nil {
			return err
		}
		bs, _, err := c.str("behavior")
		if err != nil {
			return err
		}
		beh, ok := behaviorNames[bs]
		if !ok {
			return fmt.Errorf("pre_tokenizer Split: unknown behavior %q", bs)
		}
		inv, err := c.requiredBool("Split pre_tokenizer", "invert")
		if err != nil {
			return err
		}
		t.pre = append(t.pre, preStage{kind: stageSplit, re: re, literal: lit, behavior: beh, invert: inv})
	case "ByteLevel":
		aps, err := c.requiredBool("ByteLevel pre_tokenizer", "add_prefix_space")
		if err != nil {
			return err
		}
		useRegex, err := c.boolean("use_regex", true)
		if err != nil {
			return err
		}
		st := preStage{kind: stageByteLevel, addPrefixSpace: aps, behavior: behaviorIsolated}
		if useRegex {
			m, err := pretok.Compile(gpt2Pattern)
			if err != nil {
				return fmt.Errorf("pre_tokenizer ByteLevel: %w", err)
			}
			st.re = m
		}
		t.pre = append(t.pre, st)
	case "Metaspace":
		rep, ok, err := c.str("replacement")
		if err != nil || !ok || utf8.RuneCountInString(rep) != 1 {
			return fmt.Errorf("pre_tokenizer Metaspace: bad replacement %s", clip(c["replacement"]))
		}
		scheme := prependAlways
		if s, ok, err := c.str("prepend_scheme"); err != nil {
			return err
		} else if ok {
			switch s {
			case "always":
				scheme = prependAlways
			case "first":
				scheme = prependFirst
			case "never":
				scheme = prependNever
			default:
				return fmt.Errorf("pre_tokenizer Metaspace: unknown prepend_scheme %q", s)
			}
		}
		if v, ok := c["add_prefix_space"]; ok && !isNull(v) {
			aps, err := c.boolean("add_prefix_space", true)
			if err != nil {
				return err
			}
			if !aps {
				if scheme != prependNever {
					return errors.New("pre_tokenizer Metaspace: add_prefix_space does not match declared prepend_scheme")
				}
			}
		}
		split, err := c.boolean("split", true)
		if err != nil {
			return err
		}
		if scheme == prependFirst && t.norm != nil && !t.norm.keepsStart() {
			return errors.New("unsupported pre_tokenizer: Metaspace prepend_scheme \"first\" after a normalizer that moves the start of the text")
		}
		r, _ := utf8.DecodeRuneInString(rep)
		t.pre = append(t.pre, preStage{
			kind: stageMetaspace, replacement: rep, replacementRune: r, scheme: scheme, split: split,
			pred: func(x rune) bool { return x == r }, behavior: behaviorMergedWithNext,
		})
	case "Digits":
		ind, err := c.requiredBool("Digits pre_tokenizer", "individual_digits")
		if err != nil {
			return err
		}
		beh := behaviorContiguous
		if ind {
			beh = behaviorIsolated
		}
		t.pre = append(t.pre, preStage{kind: stageSplit, pred: isNumeric, behavior: beh})
	case "BertPreTokenizer":
		t.pre = append(t.pre,
			preStage{kind: stageSplit, pred: isWhiteSpace, behavior: behaviorRemoved},
			preStage{kind: stageSplit, pred: isPunctuation, behavior: behaviorIsolated})
	case "Punctuation":
		beh := behaviorIsolated
		if bs, ok, err := c.str("behavior"); err != nil {
			return err
		} else if ok {
			if beh, ok = behaviorNames[bs]; !ok {
				return fmt.Errorf("pre_tokenizer Punctuation: unknown behavior %q", bs)
			}
		}
		t.pre = append(t.pre, preStage{kind: stageSplit, pred: isPunctuation, behavior: beh})
	case "UnicodeScripts":
		t.pre = append(t.pre, preStage{kind: stageScripts})
	case "FixedLength":
		n := 5
		if v, ok := c["length"]; ok && !isNull(v) {
			if err := json.Unmarshal(v, &n); err != nil || n < 0 {
				return fmt.Errorf("pre_tokenizer FixedLength: bad length %s", clip(v))
			}
		}
		if n == 0 {
			return errors.New("unsupported pre_tokenizer FixedLength with length 0: the library panics on any non-empty text")
		}
		t.pre = append(t.pre, preStage{kind: stageFixedLength, length: n})
	case "WhitespaceSplit":
		t.pre = append(t.pre, preStage{kind: stageSplit, pred: isWhiteSpace, behavior: behaviorRemoved})
	case "Whitespace":
		t.pre = append(t.pre, preStage{kind: stageWhitespace})
	case "CharDelimiterSplit":
		d, ok, err := c.str("delimiter")
		if err != nil || !ok || utf8.RuneCountInString(d) != 1 {
			return fmt.Errorf("CharDelimiterSplit pre_tokenizer: bad delimiter %s", clip(c["delimiter"]))
		}
		r, _ := utf8.DecodeRuneInString(d)
		t.pre = append(t.pre, preStage{kind: stageSplit, pred: func(x rune) bool { return x == r }, behavior: behaviorRemoved})
	default:
		return fmt.Errorf("unsupported pre_tokenizer %q", typ)
	}
	return nil
}

// checkPostProcessor accepts the post-processors that add nothing with
// add_special_tokens=false.
func checkPostProcessor(v []byte) error {
	c, err := parseComponent(v)
	if err != nil {
		return fmt.Errorf("parse post_processor: %w", err)
	}
	switch typ := c.typ(); typ {
	case "ByteLevel", "TemplateProcessing", "BertProcessing", "RobertaProcessing":
		return nil
	case "Sequence":
		var list []json.RawMessage
		if err := json.Unmarshal(c["processors"], &list); err != nil {
			return fmt.Errorf("post_processor Sequence: %w", err)
		}
		for _, item := range list {
			if err := checkPostProcessor(item); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("unsupported post_processor %q", typ)
	}
}

type rawAddedToken struct {
	ID         *uint32 `json:"id"`
	Content    *string `json:"content"`
	SingleWord *bool   `json:"single_word"`
	Lstrip     *bool   `json:"lstrip"`
	Rstrip     *bool   `json:"rstrip"`
	Normalized *bool   `json:"normalized"`
	Special    *bool   `json:"special"`
}

// addedTokens registers the added tokens as HF's deserializer does
// (AddedVocabulary::add_tokens): the id is the one already known for the
// content (added, then model vocab), else the next free id from the model's
// vocab size; the ids in the file are only checked by HF, with a warning.
func (b *builder) addedTokens(list []rawAddedToken) error {
	t := b.t
	byContent := map[string]uint32{}
	a := &addedVocab{byID: map[uint32]*addedToken{}}
	next := uint32(t.model.size())
	for i, r := range list {
		if r.Content == nil || r.SingleWord == nil || r.Lstrip == nil || r.Rstrip == nil || r.Normalized == nil || r.Special == nil {
			return fmt.Errorf("added_tokens[%d]: missing field", i)
		}
		tok := &addedToken{
			content: *r.Content, singleWord: *r.SingleWord, lstrip: *r.Lstrip,
			rstrip: *r.Rstrip, normalized: *r.Normalized, special: *r.Special,
		}
		if tok.content == "" {
			continue
		}
		if id, ok := byContent[tok.content]; ok {
			old := a.byID[id]
			if *old == (addedToken{tok.content, id, tok.singleWord, tok.lstrip, tok.rstrip, tok.normalized, tok.special}) {
				continue
			}
		}
		id, ok := byContent[tok.content]
		if !ok {
			id, ok = t.model.tokenID(tok.content)
		}
		if b.fileIDs {
			if ok && id != *r.ID {
				return fmt.Errorf("special token %q: id %d, but it is token %d already", tok.content, *r.ID, id)
			}
			id, ok = *r.ID, true
			if _, taken := a.byID[id]; taken {
				return fmt.Errorf("special token %q: id %d is taken by %q", tok.content, id, a.byID[id].content)
			}
		}
		if !ok {
			id = next
			next++
		}
		tok.id = id
		byContent[tok.content] = id
		a.byID[id] = tok
	}
	var rawPat, nrmPat []string
	var rawIDs, nrmIDs []uint32
	sc := newScratch(b.nbufs, b.nints)
	for id, tok := range a.byID {
		if !tok.normalized {
			rawPat = append(rawPat, tok.content)
			rawIDs = append(rawIDs, id)
			continue
		}
		p := tok.content
		if t.norm != nil {
			out, err := t.norm.apply(nil, p, sc)
			if err != nil {
				return fmt.Errorf("normalize added token %q: %w", p, err)
			}
			p = string(out)
		}
		if p == "" {
			continue
		}
		nrmPat = append(nrmPat, p)
		nrmIDs = append(nrmIDs, id)
	}
	var ok bool
	if a.rawTrie, ok = buildTrie(rawPat, rawIDs); !ok {
		return errors.New("added_tokens: two tokens with the same content")
	}
	if a.nrmTrie, ok = buildTrie(nrmPat, nrmIDs); !ok {
		return errors.New("added_tokens: two normalized tokens with the same normalized content")
	}
	t.added = a
	return nil
}
