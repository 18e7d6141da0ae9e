import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, LineCounter, parseDocument, visit } from 'yaml';
import { ConfigError } from './env';

/** The largest policy or targets file read: far above any real one, far below what exhausts memory. */
export const MAX_CONFIG_BYTES = 1_048_576;
/** Aliases a configuration file may expand (yaml's own default); more is an alias bomb. */
const MAX_ALIAS_COUNT = 100;

/**
 * Reads the file a variable names, refusing one over MAX_CONFIG_BYTES before reading it (a 50 MB
 * list would otherwise run the scanner out of memory while parsing).
 */
export function readConfigFile(file: string, variable: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    if (size > MAX_CONFIG_BYTES)
      throw new ConfigError(
        `${variable} names ${file}, which is ${size} bytes; a configuration file may have at most ${MAX_CONFIG_BYTES}`,
      );
    const buffer = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read).toString('utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      `${variable} names ${file}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export type FieldPath = readonly (string | number)[];

/** A YAML or JSON configuration file checked against its JSON Schema, with positions for errors. */
export interface ConfigDocument<T> {
  value: T;
  /** Throws a ConfigError naming the file, the line and column of the field, and the field. */
  fail(path: FieldPath, why: string): never;
}

/** `targets[1].auth.mode`, from a path. */
export function fieldName(path: FieldPath): string {
  return (
    path.reduce<string>(
      (name, key) => (typeof key === 'number' ? `${name}[${key}]` : name ? `${name}.${key}` : key),
      '',
    ) || '(top level)'
  );
}

function describeSchemaError(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties')
    return `has the field "${String(p.additionalProperty)}", which is not allowed here`;
  if (error.keyword === 'required') return `is missing "${String(p.missingProperty)}"`;
  if (error.keyword === 'enum') return `must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
  // A field of several forms: say which forms, from the schema's own description.
  const described = (error.parentSchema as { description?: string } | undefined)?.description;
  if ((error.keyword === 'oneOf' || error.keyword === 'anyOf') && described)
    return `is not in a form this field takes: ${described}`;
  return error.message ?? 'is not valid';
}

/** A schema validator compiled on first use (ajv's compile is the expensive part). */
export function lazyValidator(schema: object): (value: unknown) => ErrorObject[] {
  let validator: ValidateFunction | undefined;
  return (value) => {
    validator ??= new Ajv({ allErrors: false, discriminator: true, verbose: true }).compile(schema);
    return validator(value) ? [] : (validator.errors ?? []);
  };
}

/**
 * Reads a configuration file (YAML or JSON; JSON is YAML), checks it against a schema and
 * returns its value, with a way to report the rules a schema cannot say at the field's position.
 * The first schema error is reported the same way; `describe` may word a keyword its own way.
 */
export function readConfigDocument<T>(
  text: string,
  source: string,
  validate: (value: unknown) => ErrorObject[],
  describe?: (error: ErrorObject) => string | undefined,
): ConfigDocument<T> {
  // Text that did not come through readConfigFile (an SSM parameter, say) is bounded too.
  if (text.length > MAX_CONFIG_BYTES)
    throw new ConfigError(
      `${source}: is ${text.length} characters; a configuration file may have at most ${MAX_CONFIG_BYTES}`,
    );
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return source;
    const { line, col } = lineCounter.linePos(offset);
    return `${source}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    const first = doc.errors[0] as { pos: [number, number]; message: string };
    throw new ConfigError(`${at(first.pos[0])}: not valid YAML or JSON: ${first.message.split('\n')[0]}`);
  }
  /** The position of the deepest node along a path that exists. */
  const where = (path: FieldPath) => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return at(node.range[0]);
    }
    return source;
  };
  const fail = (path: FieldPath, why: string): never => {
    throw new ConfigError(`${where(path)}: ${fieldName(path)} ${why}`);
  };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // yaml refuses an alias bomb (aliases of aliases expanding to millions of nodes) with a ReferenceError.
    let offset: number | undefined;
    visit(doc, {
      Alias(_key, node) {
        offset = node.range?.[0];
        return visit.BREAK;
      },
    });
    throw new ConfigError(`${at(offset)}: not a usable configuration file: ${(error as Error).message.split('\n')[0]}`);
  }
  const errors = validate(value);
  // A field of several forms fails each form first; the error that names the field as a whole
  // (oneOf/anyOf, not a discriminated union, which reports its one branch) says more.
  const error =
    errors.find(
      (e) =>
        (e.keyword === 'oneOf' || e.keyword === 'anyOf') &&
        !(e.parentSchema as { discriminator?: unknown } | undefined)?.discriminator,
    ) ?? errors[0];
  if (error) {
    const path = error.instancePath
      .split('/')
      .slice(1)
      .map((k) => (/^\d+$/.test(k) ? Number(k) : k.replaceAll('~1', '/').replaceAll('~0', '~')));
    const container = doc.getIn(path, true);
    // A field that is not allowed is reported where it is, not where its object starts.
    if (error.keyword === 'additionalProperties' && isMap(container)) {
      const extra = String((error.params as { additionalProperty: string }).additionalProperty);
      fail([...path, extra], 'is not a field of this object');
    }
    fail(path, describe?.(error) ?? describeSchemaError(error));
  }
  return { value: value as T, fail };
}
