// Sortable column headers over the server's sort orders. The API names whole orders
// (LeadOrder, TaskOrder: NEWEST, LAST_NAME, NEXT_DUE ...), not a column plus a direction, so each
// column says which order sorts it which way; a column that only one order sorts has one
// direction, and its header offers only that one.

/** Which order sorts a column ascending and which descending (at least one of the two). */
export interface SortColumn<Order extends string> {
  ascending?: Order;
  descending?: Order;
}

/** The aria-sort value of a column's header under the list's current order. */
export function ariaSort<Order extends string>(
  column: SortColumn<Order>,
  current: Order,
): "ascending" | "descending" | "none" {
  if (column.ascending === current) return "ascending";
  if (column.descending === current) return "descending";
  return "none";
}

/** The order a click on the column's header asks for: the other direction when the column
 * already sorts the list and has one, else the column's first direction (ascending when it has
 * one: A to Z, soonest first). */
export function orderOnClick<Order extends string>(
  column: SortColumn<Order>,
  current: Order,
): Order {
  const direction = ariaSort(column, current);
  if (direction === "ascending" && column.descending) return column.descending;
  if (direction === "descending" && column.ascending) return column.ascending;
  if (direction !== "none") return current;
  return (column.ascending ?? column.descending) as Order;
}

/** `value` if it is one of `allowed`, else `fallback`: for orders and filters read from a URL
 * that anyone can edit. */
export function oneOf<Value extends string>(
  value: string | null | undefined,
  allowed: readonly Value[],
  fallback: Value,
): Value {
  return (allowed as readonly string[]).includes(value ?? "") ? (value as Value) : fallback;
}
