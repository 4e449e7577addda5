#!/usr/bin/env node
// The `lifeboat` command: runs the CLI bundle built by `npm ci` (scripts/build.mjs).
'use strict';
const path = require('node:path');
const { main } = require(path.join(__dirname, '..', 'dist', 'cli.cjs'));
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`lifeboat: ${(err && err.stack) || err}\n`);
    process.exit(1);
  },
);
