import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT } from '../support/node-process.js';

/** One drill's measured figures, as the drills record them. */
export interface DrillFigures {
  drill: string;
  load: string;
  sent: number;
  failed: number;
  durationMs: number;
  notes: string;
  /** Every assertion of the drill held. */
  passed: boolean;
}

export interface Report {
  date: string;
  command: string;
  machine: string;
  totalMs: number;
  drills: DrillFigures[];
  details: Record<string, unknown>;
}

const DOC = resolve(ROOT, 'docs/reliability.md');
const BEGIN = '<!-- drill-results:begin -->';
const END = '<!-- drill-results:end -->';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function markdown(report: Report): string {
  const rows = report.drills.map(
    (d) =>
      `| ${d.drill} | ${d.passed ? 'passed' : '**failed**'} | ${d.load} | ${d.sent} | ${d.failed} | ` +
      `${seconds(d.durationMs)} | ${d.notes} |`,
  );
  return [
    `Measured ${report.date} on ${report.machine}, whole suite ${seconds(report.totalMs)}:`,
    '',
    '```sh',
    report.command,
    '```',
    '',
    '| Drill | Result | Load | Requests | Failed | Duration | Notes |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/**
 * Writes the figures as JSON (always) and, when `updateDoc`, replaces the results section of
 * docs/reliability.md with them. Returns the JSON file's path.
 */
export function writeReport(report: Report, jsonPath: string, updateDoc: boolean): string {
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  if (updateDoc) {
    const doc = readFileSync(DOC, 'utf8');
    const start = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    if (start < 0 || end < start) throw new Error(`${DOC}: no ${BEGIN} … ${END} section`);
    writeFileSync(DOC, `${doc.slice(0, start + BEGIN.length)}\n${markdown(report)}\n${doc.slice(end)}`);
  }
  return jsonPath;
}
