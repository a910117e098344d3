/**
 * The notification e-mail for one class change: the subject WeCoza's recipients already filter on,
 * an HTML body with inline CSS (mail clients drop `<style>` blocks) and a plain-text twin.
 * Every value from the database is escaped: class subjects and codes are typed by users.
 */
import type { AiSummaryRecord } from './ai-summary.ts';
import type { AliasMap } from './obfuscation.ts';

export interface NotificationEmailInput {
  logId: number | string;
  operation: string;
  changedAt: string | Date;
  classId: number | null;
  classCode: string | null;
  classSubject: string | null;
  /** Null when no summary was ever attempted. */
  summary: AiSummaryRecord | null;
  /** Alias → real name, rebuilt from the source row at send time. */
  aliases: AliasMap;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

const NO_CODE = 'no-code';
const UNKNOWN_CLASS = 'unknown';

/** `[WeCoza] Class insert: 1 (IMP021813)`, or `(no-code)` when the class has no code. */
export function buildNotificationSubject(input: Pick<NotificationEmailInput, 'operation' | 'classId' | 'classCode'>): string {
  const operation = singleLine(input.operation).toLowerCase();
  const classId = input.classId === null ? UNKNOWN_CLASS : String(input.classId);
  const code = singleLine(input.classCode ?? '');
  return `[WeCoza] Class ${operation}: ${classId} (${code === '' ? NO_CODE : code})`;
}

export function renderNotificationEmail(input: NotificationEmailInput): RenderedEmail {
  return { subject: buildNotificationSubject(input), html: renderHtml(input), text: renderText(input) };
}

interface MetadataRow {
  label: string;
  value: string;
}

function metadataRows(input: NotificationEmailInput): MetadataRow[] {
  return [
    { label: 'Operation', value: input.operation.toUpperCase() },
    { label: 'Changed at', value: input.changedAt instanceof Date ? input.changedAt.toISOString() : input.changedAt },
    { label: 'Class ID', value: input.classId === null ? UNKNOWN_CLASS : String(input.classId) },
    { label: 'Class code', value: nonEmpty(input.classCode) ?? '(none)' },
    { label: 'Class subject', value: nonEmpty(input.classSubject) ?? '(none)' },
  ];
}

/** Why there is no summary, in one sentence for the reader. */
export function describeMissingSummary(summary: AiSummaryRecord | null): string {
  if (summary === null) return 'No AI summary was requested for this change.';
  const reason = nonEmpty(summary.error_message) ?? summary.error_code ?? null;
  if (summary.status === 'pending') {
    return reason === null ? 'The AI summary is not ready yet.' : `The AI summary is not ready yet. Last error: ${reason}`;
  }
  return reason === null ? 'The AI summary could not be generated.' : `The AI summary could not be generated. Reason: ${reason}`;
}

function hasSummary(summary: AiSummaryRecord | null): summary is AiSummaryRecord & { summary: string } {
  return summary !== null && summary.status === 'success' && typeof summary.summary === 'string';
}

const STYLE = {
  body: 'margin:0;padding:24px;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1f2933;',
  card: 'max-width:640px;margin:0 auto;background:#ffffff;border:1px solid #d9dee4;border-radius:6px;padding:24px;',
  h1: 'margin:0 0 16px;font-size:20px;color:#102a43;',
  h2: 'margin:24px 0 8px;font-size:16px;color:#243b53;',
  table: 'border-collapse:collapse;width:100%;font-size:14px;',
  th: 'text-align:left;padding:6px 8px;border-bottom:1px solid #e4e7eb;width:35%;color:#52606d;font-weight:normal;',
  td: 'padding:6px 8px;border-bottom:1px solid #e4e7eb;',
  summary: 'font-size:14px;line-height:1.5;',
  unavailable: 'font-size:14px;color:#8a1c1c;background:#fdecea;border-radius:4px;padding:8px 12px;',
  footer: 'margin-top:24px;font-size:12px;color:#7b8794;',
} as const;

function renderHtml(input: NotificationEmailInput): string {
  const metadata = metadataRows(input)
    .map((row) => `<tr><th style="${STYLE.th}">${escapeHtml(row.label)}</th><td style="${STYLE.td}">${escapeHtml(row.value)}</td></tr>`)
    .join('');
  const summary = hasSummary(input.summary)
    ? `<div style="${STYLE.summary}">${summaryToHtml(input.summary.summary)}</div>`
    : `<p style="${STYLE.unavailable}"><strong>Summary unavailable.</strong> ${escapeHtml(describeMissingSummary(input.summary))}</p>`;
  const aliasEntries = Object.entries(input.aliases);
  const aliasTable = aliasEntries.length === 0
    ? ''
    : `<h2 style="${STYLE.h2}">Learners named in the summary</h2><table style="${STYLE.table}">` +
      aliasEntries
        .map(([alias, name]) => `<tr><th style="${STYLE.th}">${escapeHtml(alias)}</th><td style="${STYLE.td}">${escapeHtml(name)}</td></tr>`)
        .join('') +
      '</table>';
  const subject = escapeHtml(buildNotificationSubject(input));
  return [
    '<!DOCTYPE html>',
    `<html><head><meta charset="utf-8"><title>${subject}</title></head>`,
    `<body style="${STYLE.body}"><div style="${STYLE.card}">`,
    `<h1 style="${STYLE.h1}">WeCoza class change</h1>`,
    `<h2 style="${STYLE.h2}">Change</h2><table style="${STYLE.table}">${metadata}</table>`,
    `<h2 style="${STYLE.h2}">Summary</h2>${summary}`,
    aliasTable,
    `<p style="${STYLE.footer}">${escapeHtml(footerText(input.logId))}</p>`,
    '</div></body></html>',
  ].join('\n');
}

function renderText(input: NotificationEmailInput): string {
  const rows = metadataRows(input);
  const width = Math.max(...rows.map((row) => row.label.length));
  const lines = ['WeCoza class change', '', ...rows.map((row) => `${`${row.label}:`.padEnd(width + 2)}${row.value}`), '', 'Summary', '-------'];
  if (hasSummary(input.summary)) {
    lines.push(input.summary.summary);
  } else {
    lines.push(`Summary unavailable. ${describeMissingSummary(input.summary)}`);
  }
  const aliasEntries = Object.entries(input.aliases);
  if (aliasEntries.length > 0) {
    lines.push('', 'Learners named in the summary', '-----------------------------');
    for (const [alias, name] of aliasEntries) lines.push(`${alias}: ${name}`);
  }
  lines.push('', '--', footerText(input.logId));
  return `${lines.join('\n')}\n`;
}

function footerText(logId: number | string): string {
  return `Change log #${logId}. If this summary looks wrong, reply and quote this number.`;
}

/**
 * The model writes Markdown bullets and `**bold**`; after escaping, those two are turned into
 * HTML so the summary reads as in WeCoza's own mails. Nothing else is interpreted.
 */
function summaryToHtml(summary: string): string {
  const blocks: string[] = [];
  let bullets: string[] = [];
  const flush = (): void => {
    if (bullets.length > 0) blocks.push(`<ul style="margin:0 0 8px;padding-left:20px;">${bullets.join('')}</ul>`);
    bullets = [];
  };
  for (const line of summary.split(/\r?\n/)) {
    const bullet = /^\s*[-*•]\s+(.*)$/.exec(line);
    if (bullet !== null) {
      bullets.push(`<li>${inlineMarkdown(bullet[1] ?? '')}</li>`);
      continue;
    }
    flush();
    if (line.trim() !== '') blocks.push(`<p style="margin:0 0 8px;">${inlineMarkdown(line)}</p>`);
  }
  flush();
  return blocks.join('');
}

function inlineMarkdown(text: string): string {
  return escapeHtml(text).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] ?? char);
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function singleLine(text: string): string {
  // Control characters in a subject could fold or split the header; nodemailer encodes, but the
  // subject is also shown in logs and lists.
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

function nonEmpty(text: string | null | undefined): string | null {
  return typeof text === 'string' && text.trim() !== '' ? text : null;
}
