// SPDX-License-Identifier: MIT
'use strict';
// The suite does not depend on where the checkout is. Cloned into a
// directory only its owner can enter (/root/..., or mktemp -d, both 0700),
// the Passenger differential of the package still runs: Passenger starts
// the app as nobody, which must not need to read anything inside the
// checkout. This copies the working tree into such a directory and runs
// that part of tests/differential.test.js there, against this build of the
// module.
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const h = require('./lib/harness');
const P = require('./lib/passenger');
const F = require('./lib/frameworks');

const why = !h.IS_ROOT ? 'needs root (Passenger switches the app to nobody only as root)'
  : P.passengerUnavailable() || F.install();
const SKIP = why ? { skip: why } : {};

// The child is a test run of its own, not a subtest of this one.
function childEnv() {
  const env = Object.assign({}, process.env, { SHTEST_MODULE: h.MODULE_PATH });
  delete env.NODE_TEST_CONTEXT;
  return env;
}

describe('a checkout only its owner can read', SKIP, () => {
  test('the Passenger differential of the package passes from a 0700 copy of the tree', () => {
    const top = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-private-'));
    try {
      assert.equal(fs.statSync(top).mode & 0o777, 0o700);
      const tree = path.join(top, 'checkout');
      const files = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: h.REPO, encoding: 'utf8' });
      assert.equal(files.status, 0, files.stderr);
      for (const f of files.stdout.split('\0').filter(Boolean)) {
        const src = path.join(h.REPO, f);
        if (!fs.existsSync(src)) continue; // deleted, not yet committed
        fs.mkdirSync(path.dirname(path.join(tree, f)), { recursive: true });
        fs.cpSync(src, path.join(tree, f), { verbatimSymlinks: true });
      }
      const nm = path.join('tests', 'frameworks', 'node_modules');
      spawnSync('cp', ['-a', path.join(h.REPO, nm), path.join(tree, nm)]);
      const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap',
        '--test-name-pattern=passenger-secure-headers', 'tests/differential.test.js'], {
        cwd: tree, encoding: 'utf8', timeout: 600000,
        env: childEnv(),
      });
      const out = `${r.stdout}\n${r.stderr}`;
      assert.equal(r.status, 0, out.slice(-4000));
      // The framework rows ran (5 frameworks x 4 requests, each reporting
      // "identical"): a run that skipped them would also exit 0.
      const rows = out.match(/^\s*# \S+ \| .* \| identical: /mg) || [];
      assert.equal(rows.length, 20, out.slice(-3000));
      assert.doesNotMatch(out, /Cannot find module/);
    } finally {
      fs.rmSync(top, { recursive: true, force: true });
    }
  });
});
