import { describe, expect, it } from 'vitest';
import { barChart, escapeXml, gini, lineChart, lorenzPoints, niceTicks, thinTicks } from '../../api/charts';

/** Every opened tag is closed in order (self-closing tags aside): the string is well-formed markup. */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self) continue;
    if (close) {
      if (stack.pop() !== name) return false;
    } else stack.push(name);
  }
  return stack.length === 0;
}

const attr = (svg: string, cls: string, name: string) => [...svg.matchAll(new RegExp(`class="${cls}[^"]*"[^>]*?${name}="([^"]*)"`, 'g'))].map((m) => m[1]);

describe('axis ticks', () => {
  it('are steps of 1, 2 or 5 × 10^n that cover the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 0.1159, 4)).toEqual([0, 0.05, 0.1, 0.15]);
    expect(niceTicks(3, 97, 4)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 1, 1)).toEqual([0, 1]);
  });

  it('widen a zero-width range instead of dividing by zero', () => {
    const t = niceTicks(0.5, 0.5);
    expect(t[0]).toBeLessThan(0.5);
    expect(t[t.length - 1]).toBeGreaterThan(0.5);
  });

  it('when there are too many labels, keep at most the maximum, always the first and the last', () => {
    for (let n = 1; n <= 60; n++) {
      const ticks = Array.from({ length: n }, (_, i) => i);
      for (let max = 2; max <= 9; max++) {
        const t = thinTicks(ticks, max);
        expect(t.length).toBeLessThanOrEqual(Math.max(max, Math.min(n, max)));
        expect(t[0]).toBe(0);
        expect(t[t.length - 1]).toBe(n - 1);
        expect([...t].sort((a, b) => a - b)).toEqual(t);
      }
    }
  });
});

describe('line chart', () => {
  const runs = [
    { x: 0, y: 0.1, status: 'pass' as const },
    { x: 1, y: 0.05, status: 'fail' as const },
    { x: 2, y: 0.12, status: 'pass' as const },
  ];

  it('draws one mark per finite point, gate decisions as pass and fail marks', () => {
    const svg = lineChart([{ name: 'model', points: runs }, { name: 'popularity', points: [{ x: 0, y: 0.06 }, { x: 1, y: NaN }, { x: 2, y: 0.07 }] }], { title: 'NDCG@10' });
    expect(balanced(svg)).toBe(true);
    expect(svg.match(/class="point[ "]/g)).toHaveLength(5);
    expect(svg.match(/class="point pass"/g)).toHaveLength(2);
    expect(svg.match(/class="point fail"/g)).toHaveLength(1);
    expect(attr(svg, 'point', 'data-y').map(Number).sort()).toEqual([0.05, 0.06, 0.07, 0.1, 0.12]);
  });

  it('leaves a gap at a missing value instead of drawing through it', () => {
    const svg = lineChart([{ name: 's', points: [{ x: 0, y: 1 }, { x: 1, y: 2 }, { x: 2, y: NaN }, { x: 3, y: 1 }, { x: 4, y: 3 }] }]);
    const d = /<path d="([^"]+)" fill="none"/.exec(svg)![1];
    expect(d.match(/M/g)).toHaveLength(2);
  });

  it('keeps every mark inside the drawing, a higher value higher up', () => {
    const svg = lineChart([{ name: 'model', points: runs }], { width: 300, height: 200 });
    const cy = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(cy).toHaveLength(3);
    for (const [x, y] of cy) {
      expect(x).toBeGreaterThan(0);
      expect(x).toBeLessThan(300);
      expect(y).toBeGreaterThan(0);
      expect(y).toBeLessThan(200);
    }
    // y grows downwards in SVG: 0.12 (third) above 0.1 (first) above 0.05 (second)
    expect(cy[2][1]).toBeLessThan(cy[0][1]);
    expect(cy[0][1]).toBeLessThan(cy[1][1]);
  });

  it('says so instead of drawing axes when there is nothing to draw', () => {
    const svg = lineChart([{ name: 'model', points: [{ x: 0, y: NaN }] }], { emptyText: 'no model runs yet' });
    expect(svg).toContain('class="chart line-chart empty"');
    expect(svg).toContain('no model runs yet');
    expect(svg).not.toContain('class="point');
    expect(balanced(svg)).toBe(true);
  });

  it('escapes names, labels and titles', () => {
    const svg = lineChart([{ name: '<script>alert(1)</script>', points: [{ x: 0, y: 1, label: 'a "quoted" & <b>' }] }], { title: "it's <mine>", xTicks: [{ value: 0, label: '<x>' }] });
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<b>');
    expect(svg).not.toContain('<x>');
    expect(svg).toContain(escapeXml("it's <mine>"));
    expect(balanced(svg)).toBe(true);
  });

  it('is inline SVG without any URL unless a standalone file is asked for', () => {
    const inline = lineChart([{ name: 's', points: runs }]);
    expect(inline).not.toMatch(/https?:\/\//);
    expect(lineChart([{ name: 's', points: runs }], { standalone: true })).toContain('xmlns="http://www.w3.org/2000/svg"');
  });
});

describe('bar chart', () => {
  it('draws one bar per finite value, heights proportional to the values', () => {
    const svg = barChart(['D1', 'D2', 'D3'], [{ name: 'watches', values: [0.6, 0.3, 0.1] }, { name: 'slots', values: [0.8, NaN, 0.2] }], { yMax: 1 });
    expect(balanced(svg)).toBe(true);
    const bars = [...svg.matchAll(/data-series="(\w+)" data-x="(\w+)"[^>]*height="([\d.]+)"/g)].map((m): [string, number] => [`${m[1]}:${m[2]}`, Number(m[3])]);
    expect(bars).toHaveLength(5);
    const h = new Map(bars);
    const [w1, w2, w3, s1, s3] = ['watches:D1', 'watches:D2', 'watches:D3', 'slots:D1', 'slots:D3'].map((k) => h.get(k)!);
    expect(w1 / w3).toBeCloseTo(6, 1);
    expect(w2 / w3).toBeCloseTo(3, 1);
    expect(s1 / s3).toBeCloseTo(4, 1);
  });

  it('is empty without categories', () => {
    expect(barChart([], [{ name: 'x', values: [] }])).toContain('empty');
  });
});

describe('Lorenz curve and Gini coefficient', () => {
  it('is the diagonal for equal amounts, and Gini is 0', () => {
    const pts = lorenzPoints([5, 5, 5, 5]);
    for (const p of pts) expect(p.y).toBeCloseTo(p.x, 12);
    expect(gini([5, 5, 5, 5])).toBeCloseTo(0, 12);
  });

  it('stays at 0 until the last title when one title takes everything, and Gini is (n−1)/n', () => {
    const pts = lorenzPoints([0, 0, 0, 8]);
    expect(pts.map((p) => p.y)).toEqual([0, 0, 0, 0, 1]);
    expect(gini([0, 0, 0, 8])).toBeCloseTo(0.75, 12);
  });

  it('matches Gini computed by hand: [1,2,3] → 2/9', () => {
    expect(gini([3, 1, 2])).toBeCloseTo(2 / 9, 12);
  });

  it('runs from (0,0) to (1,1), never decreasing, with at most maxPoints + 1 points', () => {
    const amounts = Array.from({ length: 10_000 }, (_, i) => (i * 7919) % 101);
    const pts = lorenzPoints(amounts, 50);
    expect(pts).toHaveLength(51);
    expect(pts[0]).toEqual({ x: 0, y: 0 });
    expect(pts[50].x).toBeCloseTo(1, 12);
    expect(pts[50].y).toBeCloseTo(1, 12);
    for (let i = 1; i < pts.length; i++) {
      expect(pts[i].y).toBeGreaterThanOrEqual(pts[i - 1].y);
      expect(pts[i].y).toBeLessThanOrEqual(pts[i].x + 1e-12); // below the line of equality
    }
  });
});
