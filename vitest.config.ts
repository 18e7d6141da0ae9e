import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/integration/cinder/**'],
    testTimeout: 30_000,
    // EMF lines on stdout would drown the test output; test/observability/ turns them on where it checks them.
    env: { LOG_LEVEL: 'silent', POWERTOOLS_METRICS_DISABLED: 'true' },
    hookTimeout: 60_000,
  },
});
