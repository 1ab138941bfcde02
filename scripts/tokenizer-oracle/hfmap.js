// Usage (from scripts/tokenizer-oracle): node hfmap.js TOKENIZER_JSON TEXTS_JSON OUT_JSON — counts every text with the HF library (add_special_tokens=false).
const { Tokenizer } = require('tokenizers');
const fs = require('fs');
(async () => {
  const [tokPath, textsPath, outPath] = process.argv.slice(2);
  const t = Tokenizer.fromFile(tokPath);
  const texts = JSON.parse(fs.readFileSync(textsPath, 'utf8'));
  const out = {};
  for (const s of texts) { const e = await t.encode(s, null, {addSpecialTokens: false}); out[s] = e.getIds().length; }
  fs.writeFileSync(outPath, JSON.stringify(out));
})();
