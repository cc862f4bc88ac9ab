// A secret's rotation date: a due or past date is flagged in words as well as colour.
import { formatDay, rotationTone } from './grant-model';

export function RotateBy({ at, due }: { at: string | null; due: boolean }) {
  if (!at) return <span className="muted">no rotation date</span>;
  const tone = rotationTone(at, due);
  const day = formatDay(at);
  return (
    <time dateTime={at} title={new Date(at).toLocaleString()} className={tone}>
      {tone === 'overdue' ? `rotation due (since ${day})` : `rotate by ${day}`}
    </time>
  );
}
