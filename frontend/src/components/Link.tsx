import type { MouseEvent, ReactNode } from "react";
import { navigate } from "../router";

/** A real link (opens in a new tab, can be copied) that navigates without a page reload. */
export function Link({
  href,
  current = false,
  children,
}: {
  href: string;
  current?: boolean;
  children: ReactNode;
}) {
  function follow(event: MouseEvent<HTMLAnchorElement>) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(href);
  }
  return (
    <a href={href} aria-current={current ? "page" : undefined} onClick={follow}>
      {children}
    </a>
  );
}
