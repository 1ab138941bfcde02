// Test oracle for tiktoken rank files: the npm tiktoken package (OpenAI's
// Rust core compiled to WASM).
//
//   node tiktoken.js ranks DIR
//     writes DIR/cl100k_base.tiktoken and DIR/o200k_base.tiktoken from the
//     package's bundled encodings (one "base64 rank" line per token), and
//     prints {name: {pattern, specials}} for both.
//   node tiktoken.js encode < {"ranks": FILE, "pattern": P, "specials": {content: id}, "items": [base64 UTF-8...]}
//     writes [[ids...], ...]: encode(text, allowed_special="all") with an
//     encoding built from exactly that rank file, pattern and specials.
const dir = process.env.ORACLE_NODE_MODULES;
const { Tiktoken } = require(dir + '/tiktoken');
const fs = require('fs');
const [mode, out] = process.argv.slice(2);
if (mode === 'ranks') {
  const info = {};
  for (const name of ['cl100k_base', 'o200k_base']) {
    const d = require(dir + '/tiktoken/encoders/' + name + '.json');
    const e = new Tiktoken(d.bpe_ranks, d.special_tokens, d.pat_str);
    const specialIDs = new Set(Object.values(d.special_tokens));
    const lines = [];
    for (let r = 0; ; r++) {
      if (specialIDs.has(r)) break;
      let b;
      try {
        b = e.decode_single_token_bytes(r);
      } catch (err) {
        break;
      }
      lines.push(Buffer.from(b).toString('base64') + ' ' + r);
    }
    fs.writeFileSync(out + '/' + name + '.tiktoken', lines.join('\n') + '\n');
    info[name] = { pattern: d.pat_str, specials: d.special_tokens };
  }
  process.stdout.write(JSON.stringify(info));
} else {
  let input = '';
  process.stdin.on('data', (d) => (input += d));
  process.stdin.on('end', () => {
    const req = JSON.parse(input);
    const e = new Tiktoken(fs.readFileSync(req.ranks, 'utf8'), req.specials, req.pattern);
    const res = [];
    for (const b of req.items) {
      const text = Buffer.from(b, 'base64').toString('utf8');
      res.push(Array.from(e.encode(text, 'all')));
    }
    process.stdout.write(JSON.stringify(res));
  });
}
