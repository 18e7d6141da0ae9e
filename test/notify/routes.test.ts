import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { NoticeFinding } from '../../lib/notify/model';
import { MAX_NAME_MATCH_LENGTH, parseRoutes, routesFor, unsafePatternReason } from '../../lib/notify/routes';

const run = promisify(execFile);
const parse = (text: string, allowPlainUrls = true) => parseRoutes(text, 'routes.yml', { allowPlainUrls });
const notice = (
  over: Partial<NoticeFinding> & { name?: string; metadata?: Record<string, string> } = {},
): NoticeFinding => {
  const { name, metadata, ...rest } = over;
  return {
    kind: 'new',
    findingId: 'f',
    transitionId: 't',
    findingType: 'ERROR_STATUS',
    severity: 'high',
    reason: 'status error',
    projectId: 'p1',
    region: 'eu-de',
    target: 'default',
    observedAt: '2026-03-02T10:00:00.000Z',
    firstSeenAt: null,
    ageMinutes: 10,
    owner: metadata?.owner ?? null,
    snapshot: {
      id: 's',
      name: name ?? 'snap',
      status: 'error',
      volume_id: 'v',
      size: 10,
      created_at: '2026-03-01T10:00:00',
      metadata: metadata ?? {},
    },
    ...rest,
  };
};

describe('the routes file', () => {
  it('ships an example with owner routing by metadata that loads, and routes a team-db high finding to its pager and its channel only', () => {
    const routes = parse(readFileSync(new URL('../../notifications/example.yml', import.meta.url), 'utf8'));
    expect(routesFor(routes.routes, notice({ metadata: { owner: 'team-db' } })).map((r) => r.name)).toEqual([
      'db-pages',
      'team-db',
    ]);
    expect(routesFor(routes.routes, notice({ metadata: { owner: 'web-frontend' } })).map((r) => r.name)).toEqual([
      'team-web',
    ]);
    expect(routesFor(routes.routes, notice({ name: 'tmp-restore-1' })).map((r) => r.name)).toEqual(['scratch']);
    expect(routesFor(routes.routes, notice({ kind: 'reminded' })).map((r) => r.name)).toEqual([]);
    expect(routesFor(routes.routes, notice({ severity: 'medium', findingType: 'STUCK' })).map((r) => r.name)).toEqual([
      'platform',
    ]);
  });

  it.each([
    [
      'version: 1\nroutes:\n  - name: a\n    delivery: { mode: digest, window: 2w }\n    destinations: [{ kind: webhook, url: "http://127.0.0.1:1/x" }]\n',
      'routes.yml:4:15: routes[0].delivery is not in a form this field takes: immediate, or digest with a window such as 15m, 1h or 1d',
    ],
    [
      'version: 1\nroutes:\n  - name: a\n    delivery: { mode: immediate }\n    destinations:\n      - { kind: slack, url: "http://127.0.0.1:1/x", topicArn: "arn:aws:sns:eu-west-1:123456789012:t" }\n',
      'routes.yml:6:9: routes[0].destinations[0] must give exactly one of url, secret or topicArn',
    ],
    [
      'version: 1\nroutes:\n  - name: a\n    match: { severity: [urgent] }\n    delivery: { mode: immediate }\n    destinations: [{ kind: webhook, url: "http://127.0.0.1:1/x" }]\n',
      'routes.yml:4:25: routes[0].match.severity[0] must be one of high, medium, low',
    ],
    [
      'version: 1\nroutes:\n  - name: a\n    match: { name: { pattern: "^(a+)+$" } }\n    delivery: { mode: immediate }\n    destinations: [{ kind: webhook, url: "http://127.0.0.1:1/x" }]\n',
      'routes.yml:4:31: routes[0].match.name.pattern nests a quantifier inside a quantified group, which can take exponential time',
    ],
    [
      'version: 1\nroutes:\n  - name: a\n    delivery: { mode: immediate }\n    destinations: [{ kind: webhook, url: "http://127.0.0.1:1/x" }]\n  - name: a\n    delivery: { mode: immediate }\n    destinations: [{ kind: webhook, url: "http://127.0.0.1:1/y" }]\n',
      'routes.yml:6:11: routes[1].name repeats the route name "a"',
    ],
    [
      'version: 1\nroutes:\n  - name: a\n    delivery: { mode: immediate }\n    destinations: [{ kind: webhook, url: "http://127.0.0.1:1/x" }]\n    contine: true\n',
      'routes.yml:6:14: routes[0].contine is not a field of this object',
    ],
  ])('refuses a bad file with its line and field: %#', (text, message) => {
    expect(() => parse(text)).toThrow(message);
  });

  it('refuses a plain URL in a deployed function, and names the field', () => {
    expect(() =>
      parse(
        'version: 1\nroutes:\n  - name: a\n    delivery: { mode: immediate }\n    destinations: [{ kind: slack, url: "https://hooks.example/FAKE" }]\n',
        false,
      ),
    ).toThrow(
      'routes.yml:5:40: routes[0].destinations[0].url is a plain URL in a deployed function: keep it in a secret',
    );
  });

  it('tells nested quantifiers and back-references from safe patterns', () => {
    for (const bad of ['(a+)+', '(\\w*x)*', '(a|b+){2,}', '((ab)*c)+', '(a)\\1'])
      expect(unsafePatternReason(bad), bad).toBeDefined();
    for (const ok of ['^tmp-', '^(tmp|test)-\\d+$', '[(+*)]+', '(abc)+', 'a+b*c?'])
      expect(unsafePatternReason(ok), ok).toBeUndefined();
  });

  it('matches a name pattern only against the first 255 characters of a name', () => {
    const routes = parse(
      'version: 1\nroutes:\n  - name: a\n    match: { name: { pattern: "x$" } }\n    delivery: { mode: immediate }\n    destinations: [{ kind: webhook, url: "http://127.0.0.1:1/x" }]\n',
    );
    expect(routesFor(routes.routes, notice({ name: `${'a'.repeat(MAX_NAME_MATCH_LENGTH - 1)}x` }))).toHaveLength(1);
    expect(routesFor(routes.routes, notice({ name: `${'a'.repeat(MAX_NAME_MATCH_LENGTH)}x` }))).toHaveLength(0);
  });

  it('exits 2 naming the file, line and field when `npm run notify -- --check` reads a bad file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'routes-')), 'routes.yml');
    writeFileSync(
      file,
      'version: 1\nroutes:\n  - name: a\n    match: { transition: [opened] }\n    delivery: { mode: digest, window: 15m }\n    destinations: [{ kind: webhook, secret: ssm:/hooks/a }]\n',
    );
    const failure = await run('node_modules/.bin/tsx', ['scripts/notify.ts', '--check', file]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toBe(
      `configuration error: ${file}:4:27: routes[0].match.transition[0] must be one of new, escalated, deescalated, reminded, resolved\n`,
    );
  });
});
