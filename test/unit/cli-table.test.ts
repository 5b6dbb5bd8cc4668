import { describe, expect, it } from 'vitest';
import { formatCell, formatFields, formatTable, numericRows } from '../../cli/table';

describe('CLI tables', () => {
  it('align columns under a header, with no index column, numbers right-aligned and rounded', () => {
    const t = formatTable([
      { model: 'candidate', users: 812, ndcg_10: 0.123456 },
      { model: 'popularity', users: 12, ndcg_10: 0.08 },
    ]);
    expect(t.split('\n')).toEqual([
      'model       users  ndcg_10',
      '----------  -----  -------',
      'candidate     812   0.1235',
      'popularity     12   0.0800',
    ]);
  });

  it('print numbers unquoted, numeric text from DuckDB JSON rows as numbers, and missing values as empty cells', () => {
    expect(formatCell('42')).toBe('42');
    expect(formatCell('0.123456789')).toBe('0.1235');
    expect(formatCell(10n)).toBe('10');
    expect(formatCell(null)).toBe('');
    expect(formatCell(new Date('2026-01-02T03:04:05Z'))).toBe('2026-01-02T03:04:05.000Z');
    const t = formatTable([{ id: 'm-1', n: '7' }, { id: 'm-22', n: null }], { columns: ['id', 'n'] });
    expect(t).toBe('id    n\n----  -\nm-1   7\nm-22');
    expect(t).not.toMatch(/["']/);
  });

  it('say there are no rows instead of printing an empty frame, and align label: value summaries', () => {
    expect(formatTable([])).toBe('(no rows)');
    expect(formatFields({ version: 'v1', 'data as of': null, ndcg: 0.5 })).toBe('version:    v1\ndata as of: —\nndcg:       0.5000');
  });

  it('give scripts BIGINT and DECIMAL columns as JSON numbers, and leave text that looks numeric alone', () => {
    const rows = numericRows({ columns: ['n', 'd', 'movie_id'], types: ['BIGINT', 'DECIMAL(4,2)', 'VARCHAR'], rows: [{ n: '42', d: '1.50', movie_id: '007' }, { n: null, d: '2', movie_id: '8' }] });
    expect(rows).toEqual([{ n: 42, d: 1.5, movie_id: '007' }, { n: null, d: 2, movie_id: '8' }]);
  });
});
