// Grammar tests: tokenize with the TextMate engine VS Code itself uses (vscode-textmate +
// vscode-oniguruma) and check
//  1. every shipped ruleset (rulesets/*.kpi, rulesets/std/*.kpi, kpidsl/specs/scaffold/*.kpi)
//     and every ```kpi block of docs/*.md and README.md: each non-blank token has a scope of its
//     own (not the bare `source.kpi`) and none is `invalid.*` (except in the catalogue of
//     diagnostics in docs/language.md, whose examples are wrong on purpose);
//  2. test/sample.kpi against its golden scopes, test/sample.kpi.scopes.
// `npm run test:update` (node test/grammar.test.js --update) rewrites the golden file; review the diff before committing.
"use strict";

const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const HERE = __dirname;
const EXTENSION = path.dirname(HERE);
const ROOT = path.resolve(EXTENSION, "..", "..");
const GRAMMARS = {
  "source.kpi": path.join(EXTENSION, "syntaxes", "kpi.tmLanguage.json"),
  "markdown.kpi.codeblock": path.join(EXTENSION, "syntaxes", "kpi.markdown.tmLanguage.json"),
};
const SAMPLE = path.join(HERE, "sample.kpi");
const GOLDEN = SAMPLE + ".scopes";

async function registry() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  return new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) => {
      const file = GRAMMARS[scopeName];
      if (!file) return null;
      return vsctm.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
    },
  });
}

/** [{line, tokens: [{text, column, scopes}]}] for a text, the rule stack carried line to line. */
function tokenize(grammar, text) {
  let stack = vsctm.INITIAL;
  return text.split(/\r?\n/).map((line, index) => {
    const result = grammar.tokenizeLine(line, stack);
    stack = result.ruleStack;
    const tokens = result.tokens.map((t) => ({
      text: line.slice(t.startIndex, t.endIndex),
      column: t.startIndex + 1,
      scopes: t.scopes,
    }));
    return { line: index + 1, tokens };
  });
}

function kpiFiles() {
  const folders = ["rulesets", path.join("rulesets", "std"), path.join("kpidsl", "specs", "scaffold")];
  const files = [];
  for (const folder of folders) {
    for (const name of fs.readdirSync(path.join(ROOT, folder)).sort()) {
      if (name.endsWith(".kpi")) files.push(path.join(folder, name));
    }
  }
  return files;
}

function markdownFiles() {
  const docs = fs.readdirSync(path.join(ROOT, "docs")).filter((n) => n.endsWith(".md")).sort();
  return ["README.md", ...docs.map((n) => path.join("docs", n))];
}

/** Problems of one tokenized line: a non-blank token with no scope of its own, or an invalid one. */
function problems(file, row, inside, wrongOnPurpose = false) {
  const found = [];
  for (const token of row.tokens) {
    if (!inside(token) || token.text.trim() === "") continue;
    const own = token.scopes.filter((s) => !["source.kpi", "meta.embedded.block.kpi"].includes(s)
      && !s.startsWith("text.") && !s.startsWith("markup.fenced_code") && !s.startsWith("markdown."));
    const where = `${file}:${row.line}:${token.column}`;
    if (own.length === 0) found.push(`${where}: ${JSON.stringify(token.text)} has no scope of its own`);
    const bad = own.find((s) => s.startsWith("invalid"));
    if (bad && !wrongOnPurpose) found.push(`${where}: ${JSON.stringify(token.text)} is ${bad}`);
  }
  return found;
}

function goldenText(rows) {
  const out = [];
  for (const row of rows) {
    for (const token of row.tokens) {
      if (token.text.trim() === "") continue;
      out.push(`${row.line}:${token.column}\t${token.text}\t${token.scopes.slice(1).join(" ")}`);
    }
  }
  return out.join("\n") + "\n";
}

async function main() {
  const update = process.argv.includes("--update");
  const reg = await registry();
  const kpi = await reg.loadGrammar("source.kpi");
  const markdown = await reg.loadGrammar("markdown.kpi.codeblock");
  const failures = [];
  let lines = 0;
  let blocks = 0;

  const files = kpiFiles();
  if (files.length < 4) failures.push(`expected the shipped rulesets, found only ${files.join(", ")}`);
  for (const file of files) {
    for (const row of tokenize(kpi, fs.readFileSync(path.join(ROOT, file), "utf8"))) {
      lines += 1;
      failures.push(...problems(file, row, () => true));
    }
  }

  // Markdown: the injection grammar, used here as the top grammar, finds the ```kpi fences.
  for (const file of markdownFiles()) {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    blocks += (text.match(/^\s*```kpi\s*$/gm) || []).length;
    const all = text.split(/\r?\n/);
    const begin = all.indexOf("<!-- diagnostics:begin -->") + 1;
    const end = all.indexOf("<!-- diagnostics:end -->") + 1;
    for (const row of tokenize(markdown, text)) {
      const inside = (t) => t.scopes.includes("meta.embedded.block.kpi");
      if (row.tokens.some(inside)) lines += 1;
      failures.push(...problems(file, row, inside, begin > 0 && begin < row.line && row.line < end));
    }
  }
  if (blocks === 0) failures.push("no ```kpi block found in the docs");

  const actual = goldenText(tokenize(kpi, fs.readFileSync(SAMPLE, "utf8")));
  if (update) {
    fs.writeFileSync(GOLDEN, actual);
    console.log(`updated ${path.relative(ROOT, GOLDEN)}`);
  } else {
    const expected = fs.existsSync(GOLDEN) ? fs.readFileSync(GOLDEN, "utf8") : "";
    if (actual !== expected) {
      const a = actual.split("\n");
      const e = expected.split("\n");
      const i = a.findIndex((lineText, k) => lineText !== e[k]);
      failures.push(`${path.relative(ROOT, GOLDEN)} differs at entry ${i + 1}:\n  expected ${JSON.stringify(e[i])}\n` +
        `  actual   ${JSON.stringify(a[i])}\n  (run \`npm run test:update\` in editors/vscode if the change is meant)`);
    }
  }

  if (failures.length) {
    console.error(failures.join("\n"));
    console.error(`${failures.length} grammar problem(s)`);
    process.exit(1);
  }
  console.log(`grammar ok: ${files.length} rulesets and ${blocks} Markdown blocks, ${lines} lines tokenized; golden sample matches`);
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(2);
});
