import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/integration/cinder/**'],
    testTimeout: 30_000,
    env: { LOG_LEVEL: 'silent' },
    hookTimeout: 60_000,
  },
});
