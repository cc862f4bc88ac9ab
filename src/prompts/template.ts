// Prompt templates are LiquidJS, strict: an unknown variable or filter is an error instead of an
// empty string, only own properties of plain data are visible (no prototype, no globals), and no
// template can read a file: `include`, `render` and `layout` are refused when the file is checked,
// and the engine has an empty template map besides. Values are data: text a customer wrote is
// inserted as it is and never parsed as template syntax.
import { Liquid, type Template } from 'liquidjs';

/** LiquidJS's own error positions: "..., line:3, col:7". */
const positionPattern = /,? line:(\d+), col:(\d+)/;

export const liquid = new Liquid({
  strictVariables: true,
  strictFilters: true,
  ownPropertyOnly: true,
  // An empty in-memory template map: any partial lookup finds nothing, and the file system is never asked.
  templates: {},
  // Authors are trusted builders, but a template loop over a large list must not stall a worker.
  parseLimit: 1_000_000,
  renderLimit: 2_000,
  memoryLimit: 64_000_000,
});
for (const tag of ['include', 'render', 'layout']) {
  liquid.registerTag(tag, {
    parse(token) {
      throw new Error(`the ${token.name} tag is not available: library templates cannot read other files`);
    },
    render() {
      return '';
    },
  });
}

export interface TemplateProblem {
  message: string;
  /** 1-based position inside the template, when LiquidJS knows it. */
  at?: { line: number; col: number };
}

/** Splits LiquidJS's "message, line:3, col:7" into the message and its position. */
export function templateProblem(error: unknown): TemplateProblem {
  const text = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  const m = positionPattern.exec(text);
  const message = text.replace(positionPattern, '').trim();
  return m ? { message, at: { line: Number(m[1]), col: Number(m[2]) } } : { message };
}

// Parsed templates by their text: versions never change, so a template parses once per process.
const parsed = new Map<string, Template[]>();
const parsedLimit = 500;

/** Parses a template (cached); throws LiquidJS's error for a template that does not parse. */
export function parseTemplate(text: string): Template[] {
  const hit = parsed.get(text);
  if (hit) return hit;
  const templates = liquid.parse(text);
  if (parsed.size >= parsedLimit) parsed.delete(parsed.keys().next().value!);
  parsed.set(text, templates);
  return templates;
}

/** The problem with a template's syntax, or undefined when it parses. */
export function templateSyntaxProblem(text: string): TemplateProblem | undefined {
  try {
    parseTemplate(text);
    return undefined;
  } catch (error) {
    return templateProblem(error);
  }
}

/** The top-level variables a template reads (`documents` for `{% for d in documents %}`). */
export function templateVariables(text: string): string[] {
  return liquid.globalVariablesSync(parseTemplate(text));
}

/** Renders synchronously (checks at deploy time); throws LiquidJS's error. */
export function renderTemplateSync(text: string, variables: Record<string, unknown>): string {
  return liquid.renderSync(parseTemplate(text), variables);
}

export async function renderTemplate(text: string, variables: Record<string, unknown>): Promise<string> {
  return liquid.render(parseTemplate(text), variables);
}
