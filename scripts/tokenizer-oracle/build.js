#!/usr/bin/env node
// Builds a tokenizer with the Hugging Face library's own API and saves it as
// tokenizer.json, so that tests can compare us with the library on
// tokenizers it wrote itself.
//
// Usage: node build.js < SPEC.json   (or a JSON array of SPECs)
//
// SPEC is {"out": PATH, "base": PATH, "model": CALL, "normalizer": CALL,
// "pre_tokenizer": CALL, "post_processor": CALL, "decoder": CALL,
// "added_tokens": [{"content", "special", "options"}], "train": [FILE...],
// "truncation": {"maxLength", ...options}, "padding": {...options}}; every
// field but "out" and one of "base" and "model" may be left out. "base" starts
// from a tokenizer.json the library loads (Tokenizer.fromFile), for components
// the npm API cannot construct (a Regex Split, the ByteLevel decoder); "model"
// then replaces its model. A CALL is
// {"fn": NAME, "args": [...]}: NAME is an export of the tokenizers package
// ("nfkcNormalizer", "splitPreTokenizer", ...) or a static method
// ("BPE.init", "WordPiece.init", ...); an argument that is itself a CALL is
// evaluated first, {"bytes_base64": S} becomes an array of byte values (for
// precompiled()). "train" trains the model with its default trainer on the
// files, after the normalizer and pre-tokenizer are set.
'use strict';

const fs = require('fs');
const tk = require('tokenizers');

function evaluate(v) {
  if (Array.isArray(v)) return v.map(evaluate);
  if (v === null || typeof v !== 'object') return v;
  if (typeof v.fn === 'string') {
    const parts = v.fn.split('.');
    let f = tk;
    let self = tk;
    for (const p of parts) {
      self = f;
      f = f[p];
      if (f === undefined) throw new Error(`tokenizers has no ${v.fn}`);
    }
    return f.apply(self, evaluate(v.args || []));
  }
  if (typeof v.bytes_base64 === 'string') return Array.from(Buffer.from(v.bytes_base64, 'base64'));
  const out = {};
  for (const [k, x] of Object.entries(v)) out[k] = evaluate(x);
  return out;
}

function build(spec) {
  let tok;
  if (spec.base) {
    tok = tk.Tokenizer.fromFile(spec.base);
    if (spec.model) tok.setModel(evaluate(spec.model));
  } else {
    tok = new tk.Tokenizer(evaluate(spec.model));
  }
  if (spec.normalizer) tok.setNormalizer(evaluate(spec.normalizer));
  if (spec.pre_tokenizer) tok.setPreTokenizer(evaluate(spec.pre_tokenizer));
  if (spec.post_processor) tok.setPostProcessor(evaluate(spec.post_processor));
  if (spec.decoder) tok.setDecoder(evaluate(spec.decoder));
  if (spec.train) tok.train(spec.train);
  for (const a of spec.added_tokens || []) {
    tok.addAddedTokens([new tk.AddedToken(a.content, !!a.special, a.options || {})]);
  }
  if (spec.truncation) tok.setTruncation(spec.truncation.maxLength, spec.truncation);
  if (spec.padding) tok.setPadding(spec.padding);
  tok.save(spec.out, false);
}

let input = '';
process.stdin.setEncoding('utf8'); // decodes characters split across chunks
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  try {
    const req = JSON.parse(input);
    for (const spec of Array.isArray(req) ? req : [req]) build(spec);
  } catch (err) {
    process.stderr.write(`build.js: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  }
});
