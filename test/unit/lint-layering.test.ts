// The layering rules of docs/ARCHITECTURE.md are ESLint rules (eslint.config.mjs): each forbidden
// import below must fail the lint at the file it is written in, and each allowed one must pass.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint } from 'eslint';

const repoRoot = path.resolve(__dirname, '..', '..');

interface Case { file: string; source: string }

const forbidden: Case[] = [
  { file: 'src/extension/x.ts', source: "import * as tf from '@tensorflow/tfjs-core';" },
  { file: 'src/extension/x.ts', source: "import { runExperiment } from '../engine/run';" },
  { file: 'src/extension/commands/x.ts', source: "import { main } from '../../cli/main';" },
  { file: 'src/extension/x.ts', source: "import '../worker/main';" },
  { file: 'src/worker/x.ts', source: "import * as tf from '@tensorflow/tfjs-core';" },
  { file: 'src/worker/x.ts', source: "import * as vscode from 'vscode';" },
  { file: 'src/core/x.ts', source: "import { runExperiment } from '../engine/run';" },
  { file: 'src/core/x.ts', source: "import { activate } from '../extension/extension';" },
  { file: 'src/core/x.ts', source: "import * as fs from 'node:fs';" },
  { file: 'src/core/x.ts', source: "import * as os from 'os';" },
  { file: 'src/core/x.ts', source: "import * as vscode from 'vscode';" },
  { file: 'src/engine/x.ts', source: "import * as vscode from 'vscode';" },
  { file: 'src/engine/x.ts', source: "import { main } from '../cli/main';" },
  { file: 'src/cli/x.ts', source: "import * as tf from '@tensorflow/tfjs-core';" },
  { file: 'src/cli/x.ts', source: "import { activate } from '../extension/extension';" },
  { file: 'src/webview/results/x.ts', source: "import * as os from 'os';" },
  { file: 'src/webview/results/x.ts', source: "import { spawn } from 'child_process';" },
  { file: 'src/webview/results/x.ts', source: "import { readRun } from '../../core/runFolder';" },
  { file: 'src/webview/results/x.ts', source: "import { readIdxHeader } from '../../core/datasetFiles';" },
  { file: 'src/webview/results/x.ts', source: "import * as vscode from 'vscode';" },
  { file: 'src/webview/results/x.ts', source: "import { runExperiment } from '../../engine/run';" },
  { file: 'src/webview/results/x.ts', source: "import { readTextFileBounded } from '../../core/fileAccess';" },
  { file: 'src/report/x.ts', source: "import { runExperiment } from '../engine/run';" },
  { file: 'src/report/x.ts', source: "import * as vscode from 'vscode';" },
];

const allowed: Case[] = [
  { file: 'src/engine/x.ts', source: "import * as tf from '@tensorflow/tfjs-core';\nimport { rngFor } from '../core/rng';" },
  { file: 'src/extension/x.ts', source: "import * as vscode from 'vscode';\nimport { validateExperiment } from '../core/config';" },
  { file: 'src/core/runFolder.ts', source: "import * as fs from 'node:fs';" },
  { file: 'src/core/datasetFiles.ts', source: "import * as fs from 'node:fs';" },
  { file: 'src/extension/x.ts', source: "import { datasetAccessFor } from '../core/datasetFiles';" },
  { file: 'src/core/fileAccess.ts', source: "import * as fs from 'node:fs';" },
  { file: 'src/cli/x.ts', source: "import * as fs from 'node:fs';\nimport { validateExperiment } from '../core/config';" },
  { file: 'src/worker/x.ts', source: "import { runExperiment } from '../engine/run';" },
  { file: 'src/webview/results/x.ts', source: "import { histogram } from '../../core/histogram';" },
  { file: 'src/report/x.ts', source: "import * as fs from 'node:fs';\nimport { readRun } from '../core/runFolder';" },
];

async function restrictedImportMessages(eslint: ESLint, c: Case): Promise<string[]> {
  const [result] = await eslint.lintText(`${c.source}\nexport {};\n`, { filePath: path.join(repoRoot, c.file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint: the layering rules of docs/ARCHITECTURE.md', function () {
  this.timeout(60_000);
  const eslint = new ESLint({ cwd: repoRoot });

  for (const c of forbidden) {
    it(`refuses in ${c.file}: ${c.source}`, async () => {
      const messages = await restrictedImportMessages(eslint, c);
      assert.equal(messages.length, 1, `expected one layering error, got ${JSON.stringify(messages)}`);
    });
  }
  for (const c of allowed) {
    it(`allows in ${c.file}: ${c.source.replace(/\n/g, ' ')}`, async () => {
      assert.deepEqual(await restrictedImportMessages(eslint, c), []);
    });
  }
});
