import { describe, expect, it } from 'vitest';
import { healthOf } from './figures.js';

const now = new Date('2030-06-15T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
const production = [{ stage: 'production' as const, paused: false }];
const quietRun = { failed_day: 0, succeeded_day: 0 };
const noTasks = { overdue: 0, asked_week: 0 };

describe('the health of a workflow', () => {
  it('is not_deployed without any deployment, whatever else holds', () => {
    expect(healthOf({ deployed: [], run: { failed_day: 5, succeeded_day: 0 }, lastRunAt: null, now })).toBe('not_deployed');
  });

  it('is paused when production is paused, before failures and overdue tasks', () => {
    expect(healthOf({ deployed: [{ stage: 'production', paused: true }], run: { failed_day: 3, succeeded_day: 0 }, review: { overdue: 2, asked_week: 2 }, lastRunAt: hoursAgo(1), now })).toBe('paused');
    // A paused sandbox is not a paused workflow.
    expect(healthOf({ deployed: [{ stage: 'sandbox', paused: true }], lastRunAt: hoursAgo(1), now })).toBe('ok');
  });

  it('is failing when more runs failed (or ended outcome_unknown) than succeeded in the last day', () => {
    expect(healthOf({ deployed: production, run: { failed_day: 2, succeeded_day: 1 }, lastRunAt: hoursAgo(1), now })).toBe('failing');
    expect(healthOf({ deployed: production, run: { failed_day: 1, succeeded_day: 1 }, lastRunAt: hoursAgo(1), now })).toBe('ok');
    expect(healthOf({ deployed: production, run: quietRun, lastRunAt: hoursAgo(1), now })).toBe('ok');
  });

  it('is stuck when an open task is past its SLA', () => {
    expect(healthOf({ deployed: production, run: { failed_day: 0, succeeded_day: 4 }, review: { overdue: 1, asked_week: 1 }, lastRunAt: hoursAgo(1), now })).toBe('stuck');
  });

  it('is idle with no run and no task asked for in seven days', () => {
    expect(healthOf({ deployed: production, review: noTasks, lastRunAt: hoursAgo(8 * 24), now })).toBe('idle');
    expect(healthOf({ deployed: production, review: noTasks, lastRunAt: null, now })).toBe('idle');
    expect(healthOf({ deployed: production, review: { overdue: 0, asked_week: 1 }, lastRunAt: null, now })).toBe('ok');
    expect(healthOf({ deployed: production, lastRunAt: hoursAgo(6 * 24), now })).toBe('ok');
  });
});
