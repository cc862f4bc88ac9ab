// The readable body of a fetched message: its text/plain part, or, for HTML-only mail, the HTML
// turned into plain text, because what reads it next (a model, a classifier, a reviewer) needs
// words, not markup. Attachments and forwarded messages are left out. Sizes are bounded so one huge
// message cannot bloat a step's stored output.
import type { ImapFlow, FetchMessageObject, MessageStructureObject } from 'imapflow';

/** Bytes downloaded from the server per body, and characters kept after decoding. */
const maxBytes = 1_048_576;
const maxChars = 100_000;

export interface BodyText {
  text: string;
  /** Which part the text came from: `plain`, `html` (converted), or `none` (no readable part). */
  source: 'plain' | 'html' | 'none';
  truncated: boolean;
}

/** The first inline part of this type, depth first, not looking inside attached messages. */
export function findPart(node: MessageStructureObject | undefined, type: string): MessageStructureObject | undefined {
  if (!node) return undefined;
  if (node.disposition?.toLowerCase() === 'attachment') return undefined;
  if (node.type.toLowerCase() === type) return node;
  if (node.type.toLowerCase() === 'message/rfc822') return undefined;
  for (const child of node.childNodes ?? []) {
    const found = findPart(child, type);
    if (found) return found;
  }
  return undefined;
}

/** Downloads the best text part of one message (decoded to UTF-8 by imapflow) and bounds it. */
export async function bodyTextOf(client: ImapFlow, message: FetchMessageObject): Promise<BodyText> {
  const plain = findPart(message.bodyStructure, 'text/plain');
  const html = plain ? undefined : findPart(message.bodyStructure, 'text/html');
  const node = plain ?? html;
  if (!node) return { text: '', source: 'none', truncated: false };
  // A single-part message has no part number in its structure; its body is section 1.
  const download = await client.download(String(message.uid), node.part ?? '1', { uid: true, maxBytes });
  if (!download.content) return { text: '', source: 'none', truncated: false };
  const chunks: Buffer[] = [];
  for await (const chunk of download.content) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  const raw = Buffer.concat(chunks).toString('utf8');
  const text = plain ? raw.replace(/\r\n/g, '\n').trim() : htmlToText(raw);
  const cut = (node.size ?? 0) > maxBytes || text.length > maxChars;
  return { text: text.slice(0, maxChars), source: plain ? 'plain' : 'html', truncated: cut };
}

const blockTags = new Set([
  'br', 'p', 'div', 'li', 'tr', 'ul', 'ol', 'table', 'blockquote', 'pre', 'hr', 'section', 'article',
  'header', 'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
]);
const skippedTags = new Set(['script', 'style', 'head', 'template']);

/**
 * Plain text from HTML by one forward scan (linear in the input; no backtracking regex over
 * untrusted markup): tags dropped, script/style/head contents dropped, block ends become line
 * breaks, common entities decoded. Good enough to read; not a renderer.
 */
export function htmlToText(html: string): string {
  const lower = html.toLowerCase();
  let out = '';
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    out += html.slice(i, lt === -1 ? html.length : lt).replace(/\s+/g, ' ');
    if (lt === -1) break;
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = end === -1 ? html.length : end + 3;
      continue;
    }
    const gt = html.indexOf('>', lt + 1);
    if (gt === -1) break;
    const name = /^<\/?\s*([a-z0-9]+)/.exec(lower.slice(lt, Math.min(gt + 1, lt + 40)))?.[1] ?? '';
    const closing = html[lt + 1] === '/';
    i = gt + 1;
    if (!closing && skippedTags.has(name)) {
      const end = lower.indexOf(`</${name}`, i);
      const after = end === -1 ? -1 : html.indexOf('>', end);
      i = after === -1 ? html.length : after + 1;
      continue;
    }
    // A list item starts its own line; its end adds nothing, or items would be a blank line apart.
    if (name === 'li') out += closing ? '' : '\n- ';
    else if (blockTags.has(name)) out += '\n';
  }
  return decodeEntities(out)
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const namedEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});/gi, (whole, body: string) => {
    if (body[0] !== '#') return namedEntities[body.toLowerCase()] ?? whole;
    const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
  });
}
