/**
 * Scripted scenarios (test/scenarios/*.txt): exact expected sequences of Readys and
 * messages. Run with UPDATE_SCENARIOS=1 to regenerate the expected output after an
 * intended protocol change, then review the diff.
 */

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, renderScenario, ScenarioRunner } from './scenario-runner.js';

const dir = join(import.meta.dirname, 'scenarios');
const update = process.env.UPDATE_SCENARIOS === '1';

describe('scripted scenarios', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
    it(file, () => {
      const path = join(dir, file);
      const blocks = parseScenario(readFileSync(path, 'utf8'));
      const runner = new ScenarioRunner();
      const results = blocks.map((b) => ({ ...b, output: runner.run(b.command) }));
      if (update) {
        writeFileSync(path, renderScenario(results));
        return;
      }
      for (const r of results) {
        expect(r.output.join('\n'), `${file}: > ${r.command}`).toBe(r.expected.join('\n'));
      }
    });
  }
});
