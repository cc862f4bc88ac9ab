import { describe, expect, it } from 'vitest';
import { normalQuantile, passRateInterval } from './interval.js';

describe('passRateInterval (Wilson score)', () => {
  it('matches published values', () => {
    // 45/50 at 95 %: [0.7864, 0.9565]
    const a = passRateInterval(45, 50, 0.95);
    expect(a.low).toBeCloseTo(0.7864, 4);
    expect(a.high).toBeCloseTo(0.9565, 4);
    // 8/10 at 95 %: [0.4902, 0.9433]
    const b = passRateInterval(8, 10);
    expect(b.low).toBeCloseTo(0.4902, 4);
    expect(b.high).toBeCloseTo(0.9433, 4);
    // 85/100 at 90 % (z 1.6449): [0.7821, 0.8995]
    const c = passRateInterval(85, 100, 0.9);
    expect(c.low).toBeCloseTo(0.7821, 4);
    expect(c.high).toBeCloseTo(0.8995, 4);
  });

  it('stays inside [0, 1] at the ends and says nothing is known with no cases', () => {
    expect(passRateInterval(0, 20)).toEqual({ low: 0, high: expect.closeTo(0.1611, 4) });
    expect(passRateInterval(20, 20)).toEqual({ low: expect.closeTo(0.8389, 4), high: 1 });
    expect(passRateInterval(0, 0)).toEqual({ low: 0, high: 1 });
  });

  it('narrows as the sample grows at the same rate', () => {
    expect(passRateInterval(900, 1000).low).toBeGreaterThan(passRateInterval(45, 50).low);
  });

  it('refuses impossible counts and confidences', () => {
    expect(() => passRateInterval(6, 5)).toThrow(/0 <= passed <= n/);
    expect(() => passRateInterval(1.5, 5)).toThrow(/whole numbers/);
    expect(() => passRateInterval(1, 5, 1)).toThrow(/confidence/);
  });

  it('has the usual normal quantiles', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.95)).toBeCloseTo(1.644854, 6);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
  });
});
