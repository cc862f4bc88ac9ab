// Editing a proposed output: a plain textarea of JSON (people paste and fix it; a rich editor would
// hide what is sent), parsed as they type with the syntax error placed by line and column, the
// server's field problems from the output schema beside it, and a line diff against the proposal
// so the change is seen before it is sent.
import { useId, type KeyboardEvent, type Ref } from 'react';
import type { FieldProblem } from '../../lib/api';
import { LineDiff } from '../../components/ui/LineDiff';

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

export function parseJson(text: string): Parsed {
  if (!text.trim()) return { ok: false, message: 'The output is empty: write the corrected JSON.' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: syntaxMessage(text, e instanceof Error ? e.message : String(e)) };
  }
}

/** Engines word JSON errors differently; some give a position, which people read as line and column. */
function syntaxMessage(text: string, raw: string): string {
  const at = /position (\d+)/.exec(raw);
  if (!at) return `JSON syntax: ${raw}`;
  const pos = Number(at[1]);
  const before = text.slice(0, pos).split('\n');
  const line = before.length;
  const column = (before.at(-1)?.length ?? 0) + 1;
  return `JSON syntax: ${raw.replace(/ in JSON at position \d+.*$/, '').replace(/ at position \d+.*$/, '')} (line ${line}, column ${column})`;
}

export function pretty(value: unknown): string {
  return JSON.stringify(value ?? null, null, 2);
}

export function JsonEditor({ text, onChange, proposed, problems, problemsFor, onSubmit, editorRef, disabled }: {
  text: string;
  onChange(text: string): void;
  proposed: unknown;
  /** The server's answer to the last try: which fields the output schema refused. */
  problems: FieldProblem[];
  /** The text those problems were found in: after a change they may no longer hold, and it says so. */
  problemsFor?: string;
  onSubmit(): void;
  editorRef?: Ref<HTMLTextAreaElement>;
  disabled?: boolean;
}) {
  const id = useId();
  const parsed = parseJson(text);
  const lines = Math.min(24, Math.max(6, text.split('\n').length + 1));
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      onSubmit();
    }
  };
  const describedBy = [`${id}-syntax`, problems.length ? `${id}-problems` : ''].filter(Boolean).join(' ');
  return (
    <div className="rq-editor">
      <label htmlFor={`${id}-text`}>Edited output (JSON)</label>
      <textarea
        id={`${id}-text`} ref={editorRef} rows={lines} spellCheck={false} value={text} onKeyDown={onKey}
        onChange={(e) => onChange(e.target.value)} aria-invalid={!parsed.ok || problems.length > 0} aria-describedby={describedBy}
        readOnly={disabled}
      />
      <p id={`${id}-syntax`} className={parsed.ok ? 'muted rq-syntax' : 'error rq-syntax'} role={parsed.ok ? undefined : 'alert'}>
        {parsed.ok ? 'Valid JSON.' : parsed.message}
      </p>
      {problems.length > 0 ? (
        <div id={`${id}-problems`} className="error" role="alert">
          <p>
            The output schema refused {problemsFor !== undefined && problemsFor !== text ? 'the output you sent before your latest change' : 'this output'}; nothing was decided:
          </p>
          <ul>{problems.map((p, i) => <li key={i}><code>{p.path}</code>: {p.message}{p.hint ? <span className="muted"> ({p.hint})</span> : null}</li>)}</ul>
        </div>
      ) : null}
      {parsed.ok ? <LineDiff label="Your change to the proposed output" before={pretty(proposed)} after={pretty(parsed.value)} /> : null}
    </div>
  );
}
