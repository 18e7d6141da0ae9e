import { readdirSync } from 'node:fs';
import type { EventBridgeEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadEvent } from '../helpers/events';
import { schemaErrors } from '../helpers/schemas';

const samples = readdirSync(new URL('../../events/samples/', import.meta.url)).filter((f) => f.endsWith('.json'));

describe('committed sample events', () => {
  it.each(samples)('%s is valid against the schema of its detail-type', (file) => {
    const event = loadEvent<EventBridgeEvent<string, unknown>>(`samples/${file}`);
    expect(schemaErrors(event['detail-type'], event.detail)).toEqual([]);
  });
});
