import { defineConfig } from 'vitest/config';

// One runner for every package's tests and the cross-package tests under test/.
// The 'atoll-source' condition makes workspace imports resolve to TypeScript sources,
// so unit tests never run against a stale dist/.
export default defineConfig({
  resolve: { conditions: ['atoll-source'] },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
