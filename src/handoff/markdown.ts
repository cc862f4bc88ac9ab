// The pack as Markdown, to paste into a wiki or keep beside the workflow file. Every string from a
// workflow file or the database is escaped, so it reads as the text it is and never becomes a
// heading, a link, a table cell break or raw HTML in a viewer that renders Markdown.
import { packDocument, type Block, type Inline } from './document.js';
import type { HandoffPack } from './schemas.js';

/** Text for Markdown: punctuation that means something is backslash-escaped; lines are joined. */
export function mdText(value: string): string {
  return value
    .replace(/\r?\n/g, ' ')
    .replace(/[\\`*[\]<>|~&!#]/g, '\\$&')
    // An underscore inside a word (card_arrival) is literal already; only a loose one could emphasise.
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
    // At the start of a list item, "- x", "+ x" or "1. x" would open a list of its own.
    .replace(/^([-+])(?=\s)|^(\d+)([.)])(?=\s)/, (_m, mark: string | undefined, digits: string | undefined, end: string | undefined) => (mark ? `\\${mark}` : `${digits}\\${end}`));
}

/** A code span long enough to hold any run of backticks in the text. */
function mdCode(value: string): string {
  const text = value.replace(/\r?\n/g, ' ');
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  // Inside a table a pipe still ends the cell, even in code.
  return `${fence}${longest > 0 || text.startsWith(' ') ? ' ' : ''}${text.replace(/\|/g, '\\|')}${longest > 0 || text.endsWith(' ') ? ' ' : ''}${fence}`;
}

function inline(parts: Inline[]): string {
  return parts.map((p) => (typeof p === 'string' ? mdText(p) : 'strong' in p ? `**${mdText(p.strong)}**` : 'code' in p ? mdCode(p.code) : `**${mdText(p.warn)}**`)).join('');
}

function block(b: Block): string[] {
  switch (b.kind) {
    case 'heading': return [`${'#'.repeat(b.level)} ${mdText(b.text)}`, ''];
    case 'paragraph': return [inline(b.parts), ''];
    case 'fields': return [...b.rows.map(([label, value]) => `- **${mdText(label)}:** ${inline(value)}`), ''];
    case 'list': return [...b.items.map((item, i) => `${b.ordered ? `${i + 1}.` : '-'} ${inline(item)}`), ''];
    case 'checklist': return [...b.items.map((i) => `- [${i.ok ? 'x' : ' '}] ${mdText(i.label)}${i.missing ? `: ${mdText(i.missing)}` : ''}`), ''];
    case 'table': return [
      `| ${b.head.map(mdText).join(' | ')} |`, `| ${b.head.map(() => '---').join(' | ')} |`,
      ...b.rows.map((r) => `| ${r.map((cell) => (cell === '' || cell === '-' ? '-' : mdText(cell))).join(' | ')} |`), '',
    ];
  }
}

export function renderMarkdown(pack: HandoffPack): string {
  return `${packDocument(pack).flatMap(block).join('\n').replace(/\n+$/, '')}\n`;
}
