// The pack as one self-contained HTML page: no script, no external file, a strict content security
// policy in the page itself (so a copy saved to disk is as inert as the one served), every string
// escaped, and a layout that prints on A4 with the sections starting where they should.
import { packDocument, type Block, type Inline } from './document.js';
import type { HandoffPack } from './schemas.js';

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML, in element content and in quoted attributes alike. */
export function htmlText(value: string): string {
  return value.replace(/[&<>"']/g, (c) => entities[c]!);
}

function inline(parts: Inline[]): string {
  return parts.map((p) => (typeof p === 'string' ? htmlText(p)
    : 'strong' in p ? `<strong>${htmlText(p.strong)}</strong>`
      : 'code' in p ? `<code>${htmlText(p.code)}</code>` : `<strong class="warn">${htmlText(p.warn)}</strong>`)).join('');
}

function block(b: Block): string {
  switch (b.kind) {
    case 'heading': return `<h${b.level}${b.id ? ` id="${htmlText(b.id)}"` : ''}>${htmlText(b.text)}</h${b.level}>`;
    case 'paragraph': return `<p>${inline(b.parts)}</p>`;
    case 'fields': return `<dl>${b.rows.map(([label, value]) => `<dt>${htmlText(label)}</dt><dd>${inline(value)}</dd>`).join('')}</dl>`;
    case 'list': {
      const tag = b.ordered ? 'ol' : 'ul';
      return `<${tag}>${b.items.map((i) => `<li>${inline(i)}</li>`).join('')}</${tag}>`;
    }
    case 'checklist': return `<ul class="checklist">${b.items.map((i) => `<li class="${i.ok ? 'ok' : 'missing'}"><span class="mark">${i.ok ? '&#10003;' : '&#10007;'}</span> ${htmlText(i.label)}${i.missing ? `<div class="fix">${htmlText(i.missing)}</div>` : ''}</li>`).join('')}</ul>`;
    case 'table': return `<table><thead><tr>${b.head.map((h) => `<th>${htmlText(h)}</th>`).join('')}</tr></thead><tbody>${
      b.rows.map((r) => `<tr>${r.map((cell) => `<td>${htmlText(cell)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  }
}

const style = `
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid #1b1f24; padding-bottom: .2rem; margin-top: 2.2rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, monospace; background: #f1f3f5; padding: .05em .3em; border-radius: 3px; overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .6rem 0; }
dt { font-weight: 600; color: #444c56; }
dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f6f8fa; }
.warn { color: #a40e26; }
ul.checklist { list-style: none; padding-left: 0; }
ul.checklist li { padding: .25rem 0; border-bottom: 1px solid #eaeef2; }
ul.checklist .mark { display: inline-block; width: 1.4rem; font-weight: 700; }
ul.checklist li.ok .mark { color: #1a7f37; }
ul.checklist li.missing .mark { color: #a40e26; }
ul.checklist .fix { margin-left: 1.4rem; color: #57606a; font-size: .9rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  h2, h3 { break-after: avoid; }
  table, dl, li { break-inside: avoid; }
  code { background: none; }
}
@page { size: A4; margin: 18mm 16mm; }
`;

/** The page's own policy: no script of any kind, no fetch, no frame; only the inline style above. */
export const handoffPagePolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function renderHtml(pack: HandoffPack): string {
  const title = `Handoff pack: ${pack.card.title} (${pack.workflow_id}, ${pack.stage})`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${htmlText(handoffPagePolicy)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Keel">
<title>${htmlText(title)}</title>
<style>${style}</style>
</head>
<body>
${packDocument(pack).map(block).join('\n')}
</body>
</html>
`;
}
