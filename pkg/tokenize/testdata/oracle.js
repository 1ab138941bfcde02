// Reads {"path": tokenizer.json, "items": [base64 UTF-8 bytes...]} on stdin,
// writes [[ids...], ...]: HF tokenizers encode(text, add_special_tokens=false).
// Bytes are decoded with Node's WHATWG UTF-8 decoder (invalid -> U+FFFD).
const dir = process.env.ORACLE_NODE_MODULES;
const { Tokenizer } = require(dir + '/tokenizers');
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', async () => {
  const req = JSON.parse(input);
  const t = Tokenizer.fromFile(req.path);
  const out = [];
  for (const b of req.items) {
    const text = Buffer.from(b, 'base64').toString('utf8');
    const e = await t.encode(text, null, { addSpecialTokens: false });
    out.push(Array.from(e.getIds()));
  }
  process.stdout.write(JSON.stringify(out));
});
