/**
 * Command-line conventions shared by the project's commands (`npm run scan`, `report`,
 * `emulator`; docs/cli.md). A command declares its options once, each with its help line and
 * how its value is read; this module adds `--help`, `--version` and `--json`, prints usage, and
 * turns any unknown option or bad value into one line naming the option and exit 2.
 *
 * Adding an option to a command is one entry in its `options`: `text(...)`, `list(...)`,
 * `integer(...)`, `flag(...)` or `option(...)` with a parser of your own that throws
 * `UsageError` with a message naming what was wrong.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** Exit codes every command uses (docs/cli.md). */
export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;

/** Bad command line or configuration: printed as one line, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** One option: how it is written, its help line, and how its raw value becomes `T`. */
export interface Option<T> {
  type: 'string' | 'boolean';
  multiple: boolean;
  /** The value's name in help (`SECONDS`); none for a flag. */
  placeholder?: string;
  description: string;
  /** Shown in help. */
  defaultText?: string;
  /** The raw value (undefined when not given; an array when `multiple`) to the typed one. */
  read(raw: string | boolean | string[] | undefined, flag: string): T;
}

/** A flag: true when given. */
export function flag(description: string): Option<boolean> {
  return { type: 'boolean', multiple: false, description, read: (raw) => raw === true };
}

/** Any value of one option, read by `parse` (which throws UsageError naming what was wrong). */
export function option<T>(
  placeholder: string,
  description: string,
  parse: (raw: string, flag: string) => T,
  fallback: { default: T; text?: string },
): Option<T>;
export function option<T>(
  placeholder: string,
  description: string,
  parse: (raw: string, flag: string) => T,
): Option<T | undefined>;
export function option<T>(
  placeholder: string,
  description: string,
  parse: (raw: string, flag: string) => T,
  fallback?: { default: T; text?: string },
): Option<T | undefined> {
  return {
    type: 'string',
    multiple: false,
    placeholder,
    description,
    ...(fallback ? { defaultText: fallback.text ?? String(fallback.default) } : {}),
    read: (raw, name) => (typeof raw === 'string' ? parse(raw, name) : fallback?.default),
  };
}

/** A string value, optional unless it has a default. */
export function text(placeholder: string, description: string, fallback: { default: string }): Option<string>;
export function text(placeholder: string, description: string): Option<string | undefined>;
export function text(
  placeholder: string,
  description: string,
  fallback?: { default: string },
): Option<string | undefined> {
  const nonEmpty = (raw: string, name: string) => {
    if (raw === '') throw new UsageError(`${name} needs a value`);
    return raw;
  };
  return fallback ? option(placeholder, description, nonEmpty, fallback) : option(placeholder, description, nonEmpty);
}

/** A repeatable string value: every occurrence, in order. */
export function list(placeholder: string, description: string): Option<string[]> {
  return {
    type: 'string',
    multiple: true,
    placeholder,
    description: `${description} (repeatable)`,
    read: (raw, name) => {
      const values = Array.isArray(raw) ? raw : [];
      if (values.includes('')) throw new UsageError(`${name} needs a value`);
      return values;
    },
  };
}

/** An integer within [min, max]. */
export function integer(
  placeholder: string,
  description: string,
  range: { min: number; max?: number; default: number },
): Option<number> {
  const { min, max = Number.MAX_SAFE_INTEGER } = range;
  return option(placeholder, description, (raw, name) => parseInteger(raw, name, min, max), { default: range.default });
}

/** `raw` as an integer within [min, max], or a UsageError naming the option. */
export function parseInteger(raw: string, name: string, min: number, max: number): number {
  const n = /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    throw new UsageError(`${name} must be an integer ${range}, got "${raw}"`);
  }
  return n;
}

type Options = Record<string, Option<unknown>>;
type Values<O extends Options> = { [K in keyof O]: O[K] extends Option<infer T> ? T : never };

/** A command: its name, one line about it, its options, and anything else its help should say. */
export interface Command<O extends Options> {
  name: string;
  summary: string;
  options: O;
  /** Paragraphs after the options (exit codes, environment). */
  notes?: string[];
}

/** What a command was asked: its options' values, and whether the caller wants JSON on stdout. */
export interface Invocation<O extends Options> {
  values: Values<O>;
  json: boolean;
}

const STANDARD = {
  help: flag('print this help and exit'),
  version: flag('print the version and exit'),
  json: flag("print the run's summary as one JSON document on stdout (docs/cli.md)"),
};

/** The command's help text. */
export function usageOf<O extends Options>(command: Command<O>): string {
  const all: Options = { ...command.options, ...STANDARD };
  const left = (name: string, o: Option<unknown>) => `--${name}${o.placeholder ? ` ${o.placeholder}` : ''}`;
  const width = Math.max(...Object.entries(all).map(([n, o]) => left(n, o).length));
  const lines = Object.entries(all).map(
    ([n, o]) =>
      `  ${left(n, o).padEnd(width)}  ${o.description}${o.defaultText === undefined ? '' : ` (default: ${o.defaultText})`}`,
  );
  return [
    `Usage: npm run ${command.name} -- [options]`,
    '',
    command.summary,
    '',
    'Options:',
    ...lines,
    ...(command.notes ?? []).flatMap((n) => ['', n]),
  ].join('\n');
}

/** The project's version, from package.json. */
export function versionOf(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    name: string;
    version: string;
  };
  return `${pkg.name} ${pkg.version}`;
}

/**
 * Reads `argv` against the command's options. Throws UsageError for an unknown option, a
 * missing or bad value, or a stray argument; returns 'help' or 'version' when asked for those.
 */
export function parseCommandLine<O extends Options>(
  command: Command<O>,
  argv: string[],
): Invocation<O> | 'help' | 'version' {
  const all: Options = { ...command.options, ...STANDARD };
  const config = Object.fromEntries(Object.entries(all).map(([n, o]) => [n, { type: o.type, multiple: o.multiple }]));
  // Not strict: the checks below say what was wrong in one line, where parseArgs' own errors
  // are long and differ between Node versions.
  const { values, tokens } = parseArgs({
    args: argv,
    options: config,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind === 'positional') throw new UsageError(`unexpected argument "${token.value}"`);
    if (token.kind !== 'option') continue;
    const spec = all[token.name];
    if (!spec) throw new UsageError(`unknown option ${token.rawName}`);
    if (spec.type === 'boolean' && token.value !== undefined) throw new UsageError(`--${token.name} takes no value`);
    // `--out --json`: the next option is not this one's value.
    if (spec.type === 'string' && (token.value === undefined || (!token.inlineValue && token.value.startsWith('--'))))
      throw new UsageError(`--${token.name} needs a value`);
  }
  if (values.help === true) return 'help';
  if (values.version === true) return 'version';
  const read = Object.fromEntries(Object.entries(command.options).map(([n, o]) => [n, o.read(values[n], `--${n}`)]));
  return { values: read as Values<O>, json: values.json === true };
}

/**
 * `parseCommandLine` for a script: prints help or the version and exits 0, or prints the
 * usage error as one line and exits 2.
 */
export function readCommandLine<O extends Options>(command: Command<O>, argv = process.argv.slice(2)): Invocation<O> {
  let parsed: Invocation<O> | 'help' | 'version';
  try {
    parsed = parseCommandLine(command, argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return failUsage(command.name, `${error.message} (npm run ${command.name} -- --help)`);
  }
  if (parsed === 'help' || parsed === 'version') {
    process.stdout.write(`${parsed === 'help' ? usageOf(command) : versionOf()}\n`);
    process.exit(EXIT.ok);
  }
  return parsed;
}

/** One line on stderr, exit 2: for bad configuration found after the command line was read. */
export function failUsage(name: string, message: string): never {
  process.stderr.write(`${name}: ${message}\n`);
  process.exit(EXIT.usage);
}

/** Exits once stdout and stderr have flushed what was written (a pipe may still hold it). */
export async function exitAfterFlush(code: number): Promise<never> {
  const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
