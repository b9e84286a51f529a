// How values read on screen.

import type { RunState, SessionMode, SessionStatus } from './api/wire';

export const statusLabels: Record<SessionStatus, string> = {
  backlog: 'Backlog',
  in_progress: 'In progress',
  review: 'Review',
  done: 'Done',
};

export const modeLabels: Record<SessionMode, string> = {
  explore: 'Explore',
  ask: 'Ask',
  execute: 'Execute',
};

export const runStateLabels: Record<RunState, string> = {
  idle: 'Idle',
  starting: 'Starting',
  running: 'Running',
  error: 'Error',
};

export const statuses: SessionStatus[] = ['backlog', 'in_progress', 'review', 'done'];
export const modes: SessionMode[] = ['explore', 'ask', 'execute'];

/** A date for lists; accepts RFC 3339 text or Unix seconds (Docker reports image times so). */
export function formatDate(value: string | number): string {
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

export function formatMegabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** Dollars with cents, or two significant digits below a dollar (turns often cost a cent or less). */
export function formatCost(usd: number): string {
  return `$${usd >= 1 || usd === 0 ? usd.toFixed(2) : usd.toPrecision(2)}`;
}

/** Tool input or output as readable text. */
export function formatJson(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

/** Splits a comma- or space-separated package list. */
export function parseList(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}
