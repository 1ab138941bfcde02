#!/usr/bin/env node
// Encodes the same texts with several tokenizers, as upstream counts:
// encodeBatch(texts, add_special_tokens=false), in chunks of 256.
//
// Usage: node encode-many.js < {"paths": [tokenizer.json...], "texts": [...]}
// Writes one JSON line per path: an array with, for each text, its ids, or
// null where the library fails on that text (a failing chunk is encoded
// again text by text).
'use strict';

const { Tokenizer } = require('tokenizers');

const opts = { addSpecialTokens: false };

async function encodeAll(tok, texts) {
  const out = [];
  for (let i = 0; i < texts.length; i += 256) {
    const chunk = texts.slice(i, i + 256);
    try {
      for (const e of await tok.encodeBatch(chunk, opts)) out.push(e.getIds());
    } catch (err) {
      for (const t of chunk) {
        try {
          out.push((await tok.encode(t, null, opts)).getIds());
        } catch (err2) {
          out.push(null);
        }
      }
    }
  }
  return out;
}

let input = '';
process.stdin.setEncoding('utf8'); // decodes characters split across chunks
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', async () => {
  try {
    const req = JSON.parse(input);
    for (const p of req.paths) {
      const ids = await encodeAll(Tokenizer.fromFile(p), req.texts);
      const parts = ids.map((x) => (x === null ? 'null' : `[${x.join(',')}]`));
      const line = `[${parts.join(',')}]\n`;
      if (!process.stdout.write(line)) await new Promise((r) => process.stdout.once('drain', r));
    }
  } catch (err) {
    process.stderr.write(`encode-many.js: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  }
});
