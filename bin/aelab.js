#!/usr/bin/env node
// The `aelab` command: runs the bundled CLI (npm run build creates dist/cli.js).
require('../dist/cli.js');
