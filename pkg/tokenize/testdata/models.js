// Test oracle for the WordPiece, WordLevel and Unigram models, on the HF
// tokenizers library (npm tokenizers, the official Rust binding).
//
//   node models.js train DIR TEXTFILE
//     trains a WordPiece (Whitespace), a WordLevel (WhitespaceSplit) and a
//     Unigram (Metaspace) model with the library's own trainers on the
//     lines of TEXTFILE and saves DIR/{wordpiece,wordlevel,unigram}.json.
//   node models.js encode < {"path": tokenizer.json, "items": [base64 UTF-8...]}
//     writes [[ids...] | null, ...]: encode(text, add_special_tokens=false),
//     null where the library's encode fails.
//   node models.js roundtrip < {"path": tokenizer.json}
//     loads the file and writes the library's own serialization of it
//     (shows the f64 values its JSON parser read).
const dir = process.env.ORACLE_NODE_MODULES;
const T = require(dir + '/tokenizers');
const [mode, ...args] = process.argv.slice(2);
if (mode === 'train') {
  const [out, file] = args;
  const build = (model, pre, name) => {
    const t = new T.Tokenizer(model);
    t.setPreTokenizer(pre);
    t.train([file]);
    t.save(out + '/' + name + '.json');
  };
  build(T.WordPiece.empty(), T.whitespacePreTokenizer(), 'wordpiece');
  build(T.WordLevel.empty(), T.whitespaceSplitPreTokenizer(), 'wordlevel');
  build(T.Unigram.empty(), T.metaspacePreTokenizer(), 'unigram');
} else {
  let input = '';
  process.stdin.on('data', (d) => (input += d));
  process.stdin.on('end', async () => {
    const req = JSON.parse(input);
    const t = T.Tokenizer.fromFile(req.path);
    if (mode === 'roundtrip') {
      const p = req.path + '.saved.json';
      t.save(p);
      process.stdout.write(require('fs').readFileSync(p));
      return;
    }
    const out = [];
    for (const b of req.items) {
      const text = Buffer.from(b, 'base64').toString('utf8');
      try {
        const e = await t.encode(text, null, { addSpecialTokens: false });
        out.push(Array.from(e.getIds()));
      } catch (err) {
        out.push(null);
      }
    }
    process.stdout.write(JSON.stringify(out));
  });
}
