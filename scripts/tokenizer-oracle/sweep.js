#!/usr/bin/env node
// Runs many probe jobs through the library in one process, for the
// character-class sweeps (every code point against the library). Each
// stdin line is a job, {"path": tokenizer.json, "mode": m, "texts": [...]};
// each answer is one stdout line, in job order:
//   - "normalize": the normalizer alone on each text (strings);
//   - "spans": the pre-tokenizer alone on each text, as one flat array of
//     [start, end) code-point offsets per text;
//   - "ids": encode(text, add_special_tokens=false) ids per text.
// A job the library fails on answers {"error": message}. With SWEEP_TIMING
// set, each job's parse, run and stringify times go to stderr.
'use strict';

const readline = require('readline');
const { Tokenizer } = require('tokenizers');

async function run(job) {
  const tok = Tokenizer.fromFile(job.path);
  switch (job.mode) {
    case 'normalize': {
      const n = tok.getNormalizer();
      return job.texts.map((t) => n.normalizeString(t));
    }
    case 'spans': {
      const p = tok.getPreTokenizer();
      return job.texts.map((t) => {
        const pieces = p.preTokenizeString(t);
        const flat = new Array(2 * pieces.length);
        for (let i = 0; i < pieces.length; i++) {
          flat[2 * i] = pieces[i][1][0];
          flat[2 * i + 1] = pieces[i][1][1];
        }
        return flat;
      });
    }
    case 'ids': {
      const out = [];
      for (const t of job.texts) {
        const e = await tok.encode(t, null, { addSpecialTokens: false });
        out.push(Array.from(e.getIds()));
      }
      return out;
    }
    default:
      throw new Error(`unknown mode ${job.mode}`);
  }
}

async function main() {
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line === '') continue;
    let out;
    const t0 = Date.now();
    try {
      const job = JSON.parse(line);
      const t1 = Date.now();
      const res = await run(job);
      const t2 = Date.now();
      out = JSON.stringify(res);
      if (process.env.SWEEP_TIMING) process.stderr.write(`at ${Math.round(performance.now())} parse ${t1 - t0} run ${t2 - t1} stringify ${Date.now() - t2} ms (line ${line.length})\n`);
    } catch (err) {
      out = JSON.stringify({ error: String(err && err.message ? err.message : err) });
    }
    if (!process.stdout.write(out + '\n')) await new Promise((r) => process.stdout.once('drain', r));
  }
}

main().catch((err) => {
  process.stderr.write(`sweep.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
