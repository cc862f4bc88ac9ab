// A workflow file's regex scorer pattern is compiled by Keel and run against model output, so it is
// checked at load time: it must compile with its flags, stay short, and avoid the classic shape of
// catastrophic backtracking (a quantified group that itself contains an unbounded quantifier, such as
// `(a+)+` or `(\w*)*`). The check is a cheap heuristic, not a proof: overlapping alternatives under a
// quantifier (`(a|a)*`) still slip through. The pattern is the workflow author's own file, and eval
// outputs are bounded, so the remaining risk is a slow eval run, never user text executed as code.

/** Longer patterns are almost always pasted data rather than a rule a reviewer can read. */
export const regexPatternMaxLength = 500;

/** Flags that make a stateless test: `g` and `y` carry lastIndex between calls, so they are refused. */
export const regexFlagsPattern = /^(?!.*(.).*\1)[imsu]*$/;

/** A problem with a regex scorer's pattern (and flags), or undefined when it is acceptable. */
export function regexPatternProblem(pattern: string, flags = ''): string | undefined {
  if (pattern.length > regexPatternMaxLength) {
    return `the pattern is ${pattern.length} characters long; at most ${regexPatternMaxLength} are allowed`;
  }
  if (!regexFlagsPattern.test(flags)) return `flags must be some of i, m, s, u, each once (found "${flags}")`;
  try {
    new RegExp(pattern, flags);
  } catch (error) {
    return `the pattern does not compile: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (hasNestedQuantifier(pattern)) {
    return 'the pattern nests an unbounded quantifier inside a quantified group (like (a+)+), which can take exponential time on a non-matching text';
  }
  return undefined;
}

/**
 * True when a group that is followed by a quantifier contains an unbounded quantifier of its own.
 * Escapes and character classes are skipped so `\(`, `[+*]` and `\d+` inside classes are not counted.
 */
function hasNestedQuantifier(pattern: string): boolean {
  // One entry per open group: whether an unbounded quantifier was seen inside it (at any depth).
  const groups: boolean[] = [];
  let lastClosedHadQuantifier = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      i++;
      lastClosedHadQuantifier = false;
      continue;
    }
    if (ch === '[') {
      i = classEnd(pattern, i);
      lastClosedHadQuantifier = false;
      continue;
    }
    if (ch === '(') {
      groups.push(false);
      lastClosedHadQuantifier = false;
      continue;
    }
    if (ch === ')') {
      lastClosedHadQuantifier = groups.pop() ?? false;
      // A group inside a group: the outer one now contains whatever the inner one did.
      if (lastClosedHadQuantifier && groups.length > 0) groups[groups.length - 1] = true;
      continue;
    }
    const unbounded = unboundedQuantifierAt(pattern, i);
    if (unbounded) {
      if (lastClosedHadQuantifier) return true;
      if (groups.length > 0) groups[groups.length - 1] = true;
    }
    lastClosedHadQuantifier = false;
  }
  return false;
}

/** `*`, `+` or `{n,}` / `{n,m}` with m > 1 at position i (a bounded `{1}` or `?` cannot blow up). */
function unboundedQuantifierAt(pattern: string, i: number): boolean {
  const ch = pattern[i];
  if (ch === '*' || ch === '+') return true;
  if (ch !== '{') return false;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
  if (!m || m[2] === undefined) return false;
  return m[3] === '' || Number(m[3]) > 1;
}

function classEnd(pattern: string, start: number): number {
  for (let i = start + 1; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    // In JavaScript a `]` right after `[` closes an empty class, unlike in POSIX.
    else if (pattern[i] === ']') return i;
  }
  return pattern.length;
}
