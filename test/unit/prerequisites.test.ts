import { afterEach, describe, expect, it, vi } from 'vitest';
import { ciMode, prerequisite } from '../helpers/prerequisites';

describe('test prerequisites', () => {
  afterEach(() => vi.restoreAllMocks());

  it('with CI set, a missing prerequisite fails naming it and how to install it', () => {
    expect(() => prerequisite('Chromium (/usr/bin/chromium)', false, 'apt-get install chromium', { CI: '1' })).toThrow(
      /missing test prerequisite: Chromium \(\/usr\/bin\/chromium\)\. apt-get install chromium \(CI is set/,
    );
    expect(() => prerequisite('Chromium', false, 'x', { CI: 'true' })).toThrow(/Chromium/);
  });

  it('without CI, a missing prerequisite skips with a warning that names it', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(prerequisite('Chromium', false, 'apt-get install chromium', {})).toBe(false);
    expect(String(warn.mock.calls[0][0])).toMatch(/SKIPPING the tests that need Chromium: .*apt-get install chromium/);
  });

  it('a present prerequisite passes either way, and CI=0 or CI=false is not CI', () => {
    expect(prerequisite('Chromium', true, 'x', { CI: '1' })).toBe(true);
    expect(ciMode({ CI: '0' })).toBe(false);
    expect(ciMode({ CI: 'false' })).toBe(false);
    expect(ciMode({})).toBe(false);
    expect(ciMode({ CI: 'yes' })).toBe(true);
  });
});
