// SPDX-License-Identifier: MIT
'use strict';
// docs/directives.md and the module's command table stay in step both
// ways: every AP_INIT_* directive in the C sources has a section there with
// the context its flags allow, and every documented directive exists.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
const DOC = path.join(REPO, 'docs', 'directives.md');

// Context words as httpd's documentation uses them, from the req_override
// flags of an AP_INIT_* entry.
function contextOf(flags) {
  const words = [];
  if (/\bRSRC_CONF\b/.test(flags) || /\bOR_ALL\b/.test(flags)) words.push('server config', 'virtual host');
  if (/\bACCESS_CONF\b/.test(flags) || /\bOR_ALL\b/.test(flags)) words.push('directory');
  if (/\bOR_(?!NONE)\w+/.test(flags)) words.push('.htaccess');
  return words.join(', ');
}

function commandTable() {
  const out = new Map();
  const sources = fs.readdirSync(REPO).filter((f) => f.endsWith('.c'));
  assert.ok(sources.length > 0, 'no C sources at the top of the repository');
  // AP_INIT_TAKE1("Name", func, data, FLAGS, "help" "help"...)
  const re = /AP_INIT_(\w+)\(\s*"([^"]+)"\s*,\s*([^,]+),\s*[^,]+,\s*([^,]+),\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)/g;
  const texts = sources.map((f) => fs.readFileSync(path.join(REPO, f), 'utf8'));
  sources.forEach((f, i) => {
    let m;
    while ((m = re.exec(texts[i]))) {
      const help = m[5].replace(/"\s*"/g, '').replace(/^"|"$/g, '').trim();
      // A handler that checks ap_check_cmd_context(cmd, GLOBAL_ONLY)
      // narrows RSRC_CONF to the server config.
      const func = m[3].trim();
      const body = texts.map((t) => {
        const at = t.search(new RegExp(`\\n(?:static )?const char \\*${func}\\(`));
        return at < 0 ? '' : t.slice(at, t.indexOf('\n}\n', at));
      }).join('');
      const context = /\bGLOBAL_ONLY\b/.test(body) ? 'server config' : contextOf(m[4]);
      out.set(m[2], { kind: m[1], context, help, file: f });
    }
  });
  return out;
}

function documented() {
  const text = fs.readFileSync(DOC, 'utf8');
  const out = new Map();
  const sections = text.split(/^## /m).slice(1);
  for (const s of sections) {
    const name = s.slice(0, s.indexOf('\n')).trim();
    if (!/^SecureHeaders\w*$/.test(name)) continue;
    const row = (label) => {
      const m = new RegExp(`^\\| ${label} \\| (.*) \\|$`, 'm').exec(s);
      return m ? m[1].trim() : undefined;
    };
    out.set(name, { context: row('Context'), syntax: row('Syntax'), description: row('Description'), module: row('Module') });
  }
  return out;
}

const table = commandTable();
const docs = documented();

test('the command table is found (the parser reads the sources)', () => {
  assert.ok(table.size >= 11, [...table.keys()].join(' '));
  for (const [name, d] of table) assert.ok(d.help.length >= 20, `${name}: help text too short: ${d.help}`);
});

test('every directive the module registers is documented, with its context', () => {
  for (const [name, d] of table) {
    const doc = docs.get(name);
    assert.ok(doc, `${name} (${d.file}) has no section in docs/directives.md`);
    assert.equal(doc.context, d.context, `${name}: docs say "${doc.context}", the command table allows "${d.context}"`);
    assert.equal(doc.module, 'mod_secure_headers', `${name}: Module row`);
    assert.ok(doc.description, `${name}: no Description row`);
    assert.ok(doc.syntax && doc.syntax.includes(name), `${name}: Syntax row does not name it: ${doc.syntax}`);
  }
});

test('every documented directive exists in the command table', () => {
  for (const name of docs.keys()) assert.ok(table.has(name), `docs/directives.md documents ${name}, which the module does not register`);
});

test('the contents list names every section', () => {
  const text = fs.readFileSync(DOC, 'utf8');
  for (const name of docs.keys()) assert.match(text, new RegExp(`- \\[${name}\\]\\(#${name.toLowerCase()}\\)`), name);
});
