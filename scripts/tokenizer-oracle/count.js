#!/usr/bin/env node
// Token-count oracle: the official Hugging Face tokenizers library (Rust,
// via its Node binding) encoding texts exactly as upstream does,
// encode(text, add_special_tokens=False).
//
// Usage:
//   node count.js [--counts] [--input FILE] TOKENIZER_JSON
//       Reads JSON lines {"text": ...} (stdin by default) and writes one JSON
//       line per input, in order: {"count": N, "ids": [...]}, or {"count": N}
//       with --counts. Uses encodeBatch in chunks (all cores).
//   node count.js --bench [--rounds N] --input FILE TOKENIZER_JSON
//       Single-thread timing: encodes every text of FILE once per round,
//       one text at a time, and prints tokens/s per round and the median.
//   node count.js --bench --serve --input FILE TOKENIZER_JSON
//       Single-thread timing driven by another process (interleaved runs):
//       prints {"ready": true, "load_ms": ..., "counts": [...]} and then,
//       for each line "round" read on stdin, one timed pass as
//       {"tokens": T, "wall_ns": W, "cpu_ns": C}. Exits at end of input.
//
// In --bench mode rayon and the tokenizers parallelism are disabled
// (RAYON_NUM_THREADS=1, TOKENIZERS_PARALLELISM=false) and every round
// reports its CPU time, so a caller can verify CPU time ≈ wall time.
'use strict';

const fs = require('fs');
const readline = require('readline');

function parseArgs(argv) {
  const a = { counts: false, bench: false, serve: false, rounds: 5, input: null, tokenizer: null };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    if (s === '--counts') a.counts = true;
    else if (s === '--bench') a.bench = true;
    else if (s === '--serve') a.serve = true;
    else if (s === '--rounds') a.rounds = parseInt(argv[++i], 10);
    else if (s === '--input') a.input = argv[++i];
    else if (s.startsWith('--')) throw new Error(`unknown flag ${s}`);
    else if (a.tokenizer === null) a.tokenizer = s;
    else throw new Error(`unexpected argument ${s}`);
  }
  if (!a.tokenizer) throw new Error('usage: count.js [--counts|--bench [--serve|--rounds N]] [--input FILE] TOKENIZER_JSON');
  if (a.bench && !a.input) throw new Error('--bench needs --input FILE (stdin carries the round commands)');
  if (!(a.rounds > 0)) throw new Error('--rounds must be > 0');
  return a;
}

const args = parseArgs(process.argv.slice(2));
if (args.bench) {
  // Must be set before the native module starts its thread pool.
  process.env.RAYON_NUM_THREADS = '1';
  process.env.TOKENIZERS_PARALLELISM = 'false';
}
const { Tokenizer } = require('tokenizers');

// readTexts yields the "text" field of every JSON line of the stream.
async function* readTexts(stream) {
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (line.trim() === '') continue;
    const v = JSON.parse(line);
    if (typeof v.text !== 'string') throw new Error(`line ${n}: no string "text" field`);
    yield v.text;
  }
}

function inputStream() {
  return args.input ? fs.createReadStream(args.input) : process.stdin;
}

const opts = { addSpecialTokens: false };
const chunkTexts = 256;
const chunkBytes = 1 << 20;

async function countMode(tok) {
  const out = process.stdout;
  let batch = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const encs = await tok.encodeBatch(batch, opts);
    const lines = encs.map((e) => {
      const ids = e.getIds();
      return args.counts ? `{"count":${ids.length}}` : `{"count":${ids.length},"ids":[${ids.join(',')}]}`;
    });
    if (!out.write(lines.join('\n') + '\n')) await new Promise((r) => out.once('drain', r));
    batch = [];
    bytes = 0;
  };
  for await (const text of readTexts(inputStream())) {
    batch.push(text);
    bytes += text.length;
    if (batch.length >= chunkTexts || bytes >= chunkBytes) await flush();
  }
  await flush();
}

// pass encodes every text once, one at a time, and returns its timings.
async function pass(tok, texts) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let tokens = 0;
  for (const t of texts) {
    const e = await tok.encode(t, null, opts);
    tokens += e.getIds().length;
  }
  const wall = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { tokens, wall_ns: wall, cpu_ns: (cpu.user + cpu.system) * 1000 };
}

async function benchMode(tok, loadMs) {
  const texts = [];
  for await (const t of readTexts(fs.createReadStream(args.input))) texts.push(t);
  const counts = [];
  for (const t of texts) counts.push((await tok.encode(t, null, opts)).getIds().length);
  await pass(tok, texts); // warm-up
  if (args.serve) {
    process.stdout.write(JSON.stringify({ ready: true, load_ms: loadMs, counts }) + '\n');
    const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of rl) {
      if (line.trim() !== 'round') throw new Error(`unknown command ${JSON.stringify(line)}`);
      process.stdout.write(JSON.stringify(await pass(tok, texts)) + '\n');
    }
    return;
  }
  const rates = [];
  for (let i = 0; i < args.rounds; i++) {
    const p = await pass(tok, texts);
    const rate = p.tokens / (p.wall_ns / 1e9);
    rates.push(rate);
    console.log(`round ${i + 1}: ${p.tokens} tokens in ${(p.wall_ns / 1e6).toFixed(1)} ms = ${Math.round(rate)} tok/s, cpu/wall ${(p.cpu_ns / p.wall_ns).toFixed(2)}`);
  }
  rates.sort((x, y) => x - y);
  console.log(`load ${loadMs.toFixed(0)} ms; median ${Math.round(rates[rates.length >> 1])} tok/s over ${texts.length} texts, single thread`);
}

async function main() {
  const t0 = process.hrtime.bigint();
  const tok = Tokenizer.fromFile(args.tokenizer);
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (args.bench) await benchMode(tok, loadMs);
  else await countMode(tok);
}

main().catch((err) => {
  process.stderr.write(`count.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
