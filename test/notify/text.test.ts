import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asciiOnly, cleanText, escapeCardMarkdown, escapeHtml, escapeSlack, truncate } from '../../lib/notify/text';

describe('untrusted text', () => {
  it('drops terminal sequences whole and makes every line break a space', () => {
    expect(cleanText('red\u001b[31mALERT\u001b[0m \u001b]0;title\u0007x')).toBe('redALERT x');
    expect(cleanText('a\r\nb\nc\u2028d\u2029e\u0085f\tg')).toBe('a b c d e f g');
  });

  it('removes NUL, C1 controls, bidi overrides and zero-width characters', () => {
    expect(cleanText('nu\u0000l \u0090c1 in\u202evoice \u2066iso\u2069 zero\u200bwidth\ufeff')).toBe(
      'nul c1 invoice iso zerowidth',
    );
  });

  it('caps by code points with an ellipsis and never splits a surrogate pair', () => {
    expect(cleanText('x'.repeat(10_000), 50)).toBe(`${'x'.repeat(49)}…`);
    expect(truncate('😀'.repeat(10), 5)).toBe('😀😀😀😀…');
    expect(cleanText('数据库备份-生产环境')).toBe('数据库备份-生产环境');
  });

  it('never returns a control or line-break character, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
        expect(cleanText(s, 100)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
        expect(Array.from(cleanText(s, 100)).length).toBeLessThanOrEqual(100);
      }),
    );
  });

  it('escapes each format its own way', () => {
    expect(escapeSlack('<!channel> & <https://evil.example|Click>')).toBe(
      '&lt;!channel&gt; &amp; &lt;https://evil.example|Click&gt;',
    );
    expect(escapeCardMarkdown('**b** [l](u) <at>x</at> {{DATE(2017-02-14T06:08:00Z)}}')).toBe(
      '\\*\\*b\\*\\* \\[l\\]\\(u\\) ‹at›x‹/at› { {DATE\\(2017-02-14T06:08:00Z\\)} }',
    );
    expect(escapeHtml(`<img src=x onerror="a('b')">&`)).toBe(
      '&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;',
    );
    expect(asciiOnly('数据 é\nx')).toBe('?? ? x');
  });
});
