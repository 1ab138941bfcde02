#!/usr/bin/env node
// Runs one tokenizer's normalizer or pre-tokenizer alone on many texts, for
// the generators of our override tables.
//
// Usage: node probe.js < {"path": tokenizer.json, "mode": "normalize"|"pieces", "texts": [...]}
// Writes a JSON array: the normalized string of each text, or the number
// of pre-tokenizer pieces of each text.
'use strict';

const { Tokenizer } = require('tokenizers');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  try {
    const req = JSON.parse(input);
    const tok = Tokenizer.fromFile(req.path);
    let out;
    if (req.mode === 'normalize') {
      const n = tok.getNormalizer();
      out = req.texts.map((t) => n.normalizeString(t));
    } else {
      const p = tok.getPreTokenizer();
      out = req.texts.map((t) => p.preTokenizeString(t).length);
    }
    process.stdout.write(JSON.stringify(out));
  } catch (err) {
    process.stderr.write(`probe.js: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  }
});
