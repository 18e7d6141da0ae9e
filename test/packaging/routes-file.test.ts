import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// What serverless.yml's params.routesFile runs while the template is resolved: a rejection fails `serverless package` and `deploy`.
const { routesFile } = createRequire(import.meta.url)('../../deploy/routes-file.cjs') as {
  routesFile: (a: { options: { stage: string } }) => Promise<string>;
};

afterEach(() => {
  delete process.env.NOTIFY_ROUTES_FILE;
});

describe('the routes file at packaging time', () => {
  it('fails packaging on a bad routes file, naming its file, line and field', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'routes-')), 'routes.yml');
    writeFileSync(
      file,
      'version: 1\nroutes:\n  - name: ops\n    delivery: { mode: immediate }\n    destinations: [{ kind: pager, url: "http://127.0.0.1:9/x" }]\n',
    );
    process.env.NOTIFY_ROUTES_FILE = file;
    await expect(routesFile({ options: { stage: 'local' } })).rejects.toThrow(
      `configuration error: ${file}:5:28: routes[0].destinations[0].kind must be one of slack, teams, webhook, sns, alertmanager`,
    );
  }, 30_000);

  it('refuses a deployed stage a routes file outside notifications/, which would not be bundled', async () => {
    process.env.NOTIFY_ROUTES_FILE = '/etc/routes.yml';
    await expect(routesFile({ options: { stage: 'prod' } })).rejects.toThrow(
      'NOTIFY_ROUTES_FILE must be notifications/routes.yml, .yaml or .json',
    );
  });

  it('passes a good file through, and nothing without one', async () => {
    expect(await routesFile({ options: { stage: 'prod' } })).toBe('');
    process.env.NOTIFY_ROUTES_FILE = 'notifications/example.yml';
    await expect(routesFile({ options: { stage: 'prod' } })).rejects.toThrow('must be notifications/routes.yml');
    const file = join(mkdtempSync(join(tmpdir(), 'routes-')), 'routes.yml');
    writeFileSync(
      file,
      'version: 1\nroutes:\n  - name: ops\n    delivery: { mode: immediate }\n    destinations: [{ kind: slack, url: "http://127.0.0.1:9/x" }]\n',
    );
    process.env.NOTIFY_ROUTES_FILE = file;
    expect(await routesFile({ options: { stage: 'local' } })).toBe(file);
  }, 30_000);
});
