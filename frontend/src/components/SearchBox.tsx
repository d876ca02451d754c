// A list's search box: what is typed becomes the URL's search after a short pause (so that a
// reload or back/forward keep it), and back/forward to another search shows that search.
import { useEffect, useState } from "react";

/** How long typing pauses before the search runs. */
export const SEARCH_DEBOUNCE_MS = 300;

export function SearchBox({
  id,
  applied,
  placeholder,
  onSearch,
}: {
  id: string;
  /** The search the list shows now (from the URL). */
  applied: string;
  placeholder: string;
  onSearch: (text: string) => void;
}) {
  const [text, setText] = useState(applied);

  useEffect(() => {
    setText((now) => (now.trim() === applied ? now : applied));
  }, [applied]);

  useEffect(() => {
    if (text.trim() === applied) return;
    const timer = window.setTimeout(() => onSearch(text.trim()), SEARCH_DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [text, applied, onSearch]);

  return (
    <input
      id={id}
      type="search"
      value={text}
      placeholder={placeholder}
      onChange={(event) => setText(event.target.value)}
    />
  );
}
