import { describe, expect, it } from 'vitest';
import { flag, integer, list, parseCommandLine, text, usageOf } from '../../lib/cli/args';

const command = {
  name: 'demo',
  summary: 'A command to read.',
  options: {
    'dry-run': flag('print, do not publish'),
    out: text('DIR', 'where to write', { default: 'reports' }),
    policy: text('FILE', 'a policy file'),
    project: list('PROJECT', 'only this project'),
    size: integer('N', 'how many', { min: 1, max: 10, default: 3 }),
  },
};
const parse = (...argv: string[]) => parseCommandLine(command, argv);

describe('reading a command line', () => {
  it('gives each option its typed value, defaults where not given, every repeat of a list', () => {
    expect(parse('--project', 'a', '--project=b', '--size', '7', '--dry-run', '--json')).toEqual({
      values: { 'dry-run': true, out: 'reports', policy: undefined, project: ['a', 'b'], size: 7 },
      json: true,
    });
    expect(parse()).toEqual({
      values: { 'dry-run': false, out: 'reports', policy: undefined, project: [], size: 3 },
      json: false,
    });
  });

  it('answers help and version before reading anything else', () => {
    expect(parse('--size', 'abc', '--help')).toBe('help');
    expect(parse('--version')).toBe('version');
  });

  it.each([
    [['--nope'], 'unknown option --nope'],
    [['-x'], 'unknown option -x'],
    [['--size', 'abc'], '--size must be an integer from 1 to 10, got "abc"'],
    [['--size', '-3'], '--size must be an integer from 1 to 10, got "-3"'],
    [['--size', '2.5'], '--size must be an integer from 1 to 10, got "2.5"'],
    [['--size'], '--size needs a value'],
    [['--out', '--json'], '--out needs a value'],
    [['--project', ''], '--project needs a value'],
    [['--dry-run=no'], '--dry-run takes no value'],
    [['stray'], 'unexpected argument "stray"'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parse(...argv)).toThrow(message);
  });

  it('takes a value that starts with a dash when written --option=value', () => {
    expect(() => parse('--size=-3')).toThrow('--size must be an integer from 1 to 10, got "-3"');
    expect(parse('--policy=-weird-name.yml')).toMatchObject({ values: { policy: '-weird-name.yml' } });
  });

  it('lists every option with its value name, help line and default in the usage', () => {
    const usage = usageOf(command);
    expect(usage).toMatch(/^Usage: npm run demo -- \[options\]\n\nA command to read\.\n/);
    expect(usage).toMatch(/--out DIR +where to write \(default: reports\)/);
    expect(usage).toMatch(/--project PROJECT +only this project \(repeatable\)/);
    expect(usage).toMatch(/--json +print the run's summary as one JSON document/);
  });
});
