// Single-key shortcuts for working the queue. They never fire while the person types in a field
// (a reject reason full of the letter "a" must not approve anything), nor with a modifier held
// (Ctrl+R still reloads). Escape inside a field leaves it, so the keys work again.
import { useEffect, useRef } from 'react';

export type Shortcuts = Record<string, () => void>;

function isTyping(el: EventTarget | null): el is HTMLElement {
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable) return true;
  if (el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true;
  if (el instanceof HTMLInputElement) return !['button', 'checkbox', 'radio', 'submit', 'reset'].includes(el.type);
  return false;
}

/** The legend shown beside the queue; the same keys the handler below answers. */
export const legend: [keys: string[], what: string][] = [
  [['j', 'k'], 'next / previous task'],
  [['a'], 'approve'],
  [['e'], 'edit the output'],
  [['r'], 'reject (reason)'],
  [['x'], 'escalate (note)'],
  [['c'], 'claim / release'],
  [['Ctrl', 'Enter'], 'send the field'],
  [['Esc'], 'leave a field'],
];

export function useShortcuts(shortcuts: Shortcuts): void {
  // The latest handlers without re-subscribing on every render.
  const current = useRef(shortcuts);
  current.current = shortcuts;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      if (isTyping(e.target)) {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.target.blur();
        }
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const run = current.current[e.key];
      if (!run) return;
      e.preventDefault();
      run();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
}
