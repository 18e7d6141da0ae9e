import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rawSnapshotsArray } from '../../lib/evs/raw-body';

const tricky = fc.oneof(fc.string(), fc.constantFrom('"snapshots_links"', '\\"snapshots_links', '], "snapshots_links": null}', '[', ']', ',', '{"a": [1]}'));
const snapshot = fc.record({ id: fc.uuid(), name: tricky, description: fc.option(tricky, { nil: null }), metadata: fc.dictionary(fc.string(), tricky, { maxKeys: 3 }), size: fc.nat() });
const links = fc.oneof(fc.constant(null), fc.array(fc.record({ rel: fc.constant('next'), href: tricky }), { maxLength: 2 }));
const format = fc.constantFrom(
  (v: unknown) => JSON.stringify(v),
  (v: unknown) => JSON.stringify(v, null, 2),
  // Python's json.dumps separators, as Cinder writes them.
  (v: unknown) => JSON.stringify(v).replace(/,"(snapshots_links|id|name|description|metadata|size)":/g, ', "$1": '),
);

describe('raw snapshots array', () => {
  it('cuts out exactly the snapshots array, or declines', () => {
    fc.assert(
      fc.property(fc.array(snapshot, { maxLength: 6 }), links, fc.boolean(), format, (snapshots, l, withLinks, write) => {
        const body = withLinks ? { snapshots, snapshots_links: l } : { snapshots };
        const text = write(body);
        const raw = rawSnapshotsArray(text, JSON.parse(text));
        if (raw !== undefined) expect(JSON.parse(raw)).toEqual(snapshots);
      }),
      { numRuns: 1_000 },
    );
  });

  it('succeeds on the bodies Cinder and the emulator send', () => {
    const cinder = '{"snapshots": [{"id": "a", "name": "x]"}], "snapshots_links": [{"rel": "next", "href": "http://h/v2/snapshots?limit=1&marker=a"}]}';
    expect(rawSnapshotsArray(cinder, JSON.parse(cinder))).toBe('[{"id": "a", "name": "x]"}]');
    const last = '{"snapshots":[]}';
    expect(rawSnapshotsArray(last, JSON.parse(last))).toBe('[]');
  });

  it('declines bodies with other keys or another order, so they are serialised cleanly instead', () => {
    for (const text of ['{"snapshots_links": null, "snapshots": []}', '{"snapshots": [], "count": 3}', '{"count": 1, "snapshots": []}']) {
      expect(rawSnapshotsArray(text, JSON.parse(text))).toBeUndefined();
    }
  });
});
