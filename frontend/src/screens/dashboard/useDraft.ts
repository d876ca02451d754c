// The text of a dashboard field while it is typed: passed on only once it is complete, so that
// a half-typed value stays in the field instead of reaching the URL; a new value from outside
// (the URL, back and forward) replaces it.
import { useEffect, useState } from "react";

export function useDraft(
  value: string,
  isComplete: (text: string) => boolean,
  onCommit: (text: string) => void,
): [string, (text: string) => void] {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const change = (next: string) => {
    setText(next);
    if (isComplete(next)) onCommit(next);
  };
  return [text, change];
}
