// SPDX-License-Identifier: MIT
'use strict';
// scripts/check-config: passes on the module's own configuration, and fails,
// naming the member and the function, on copies of include/sh_config.h and
// sh_config.c with a merge rule taken out, a default taken out, or a member
// added to a struct and nowhere else.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
const SCRIPT = path.join(REPO, 'scripts/check-config');
const HEADER = fs.readFileSync(path.join(REPO, 'include/sh_config.h'), 'utf8');
const SOURCE = fs.readFileSync(path.join(REPO, 'sh_config.c'), 'utf8');

function check(header, source) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-check-config-'));
  try {
    fs.writeFileSync(path.join(dir, 'sh_config.h'), header);
    fs.writeFileSync(path.join(dir, 'sh_config.c'), source);
    return spawnSync(process.execPath, [SCRIPT, '--header', path.join(dir, 'sh_config.h'),
      '--source', path.join(dir, 'sh_config.c')], { encoding: 'utf8' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Replaces exactly one occurrence, so that a fixture never silently stays
// the same as the real file.
function without(text, what, instead = '') {
  assert.equal(text.split(what).length, 2, `expected one ${JSON.stringify(what)}`);
  return text.replace(what, instead);
}

test('the module\'s configuration: every member defaulted and merged', () => {
  const r = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^check-config: every member \(sh_dir_conf \d+, sh_srv_conf \d+\) has a default in create and a rule in merge\n$/);
});

test('a merge rule missing: fails and names the member and the merge function', () => {
  const source = without(SOURCE, /\n    conf->values_policy = add->values_policy[^;]*;/.exec(SOURCE)[0]);
  const r = check(HEADER, source);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'check-config: sh_dir_conf.values_policy: no rule in sh_config_merge_dir (assign conf->values_policy)\n');
  assert.equal(r.stdout, '');
});

test('a default missing: fails and names the member and the create function', () => {
  const source = without(SOURCE, '\n    conf->oversize = SH_OVERSIZE_UNSET;');
  const r = check(HEADER, source);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'check-config: sh_dir_conf.oversize: no default in sh_config_create_dir (assign conf->oversize)\n');
});

test('a member added to the server struct only: fails for create and merge', () => {
  const header = without(HEADER, '} sh_srv_conf;', '    int fresh;\n} sh_srv_conf;');
  const r = check(header, SOURCE);
  assert.equal(r.status, 1);
  assert.equal(r.stderr,
    'check-config: sh_srv_conf.fresh: no default in sh_config_create_srv (assign conf->fresh)\n'
    + 'check-config: sh_srv_conf.fresh: no rule in sh_config_merge_srv (assign conf->fresh)\n');
});

test('a comparison is not a rule: "conf->x == y" does not count as merging x', () => {
  const source = without(SOURCE, /\n    conf->sign_lifetime = add->sign_lifetime[^;]*;/.exec(SOURCE)[0],
    '\n    (void)(conf->sign_lifetime == add->sign_lifetime);');
  const r = check(HEADER, source);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'check-config: sh_dir_conf.sign_lifetime: no rule in sh_config_merge_dir (assign conf->sign_lifetime)\n');
});
