// A sortable column header: a link to the list in the column's order (the sort lives in the URL,
// so back, reload and a shared link keep it), `aria-sort` saying how the list is sorted now.
import type { ReactNode } from "react";
import { type SortColumn, ariaSort, orderOnClick } from "../sorting";
import { Link } from "./Link";

export function SortHeader<Order extends string>({
  column,
  current,
  urlOf,
  children,
}: {
  /** Which orders sort this column; null for a column that does not sort. */
  column: SortColumn<Order> | null;
  current: Order;
  urlOf: (order: Order) => string;
  children: ReactNode;
}) {
  if (!column) return <th scope="col">{children}</th>;
  const sorted = ariaSort(column, current);
  const arrow = { ascending: "▲", descending: "▼", none: "↕" }[sorted];
  return (
    <th scope="col" aria-sort={sorted === "none" ? undefined : sorted} className="sortable">
      <Link href={urlOf(orderOnClick(column, current))}>
        {children}
        <span className="sort-arrow" aria-hidden="true">
          {arrow}
        </span>
      </Link>
    </th>
  );
}
