import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/integration/cinder/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    env: { LOG_LEVEL: 'silent' },
  },
});
