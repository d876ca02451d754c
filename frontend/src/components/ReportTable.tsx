// A table of figures from a list of columns: one header row (two when columns are grouped under
// a common title), a row per entry, and a footer row when a column has a total.
import { type ReactNode, useId } from "react";

export interface Column<Row> {
  key: string;
  header: ReactNode;
  cell: (row: Row) => ReactNode;
  /** The column names the row (`<th scope="row">`), as the first one usually does. */
  rowHeader?: boolean;
  /** The column's cell in the footer row (a total, or the footer row's name). */
  foot?: ReactNode;
  /** A test id on each of the column's body cells. */
  cellTestId?: string;
}

/** Columns under a common title, e.g. "Median times": to assignment, to feedback, to close. */
export interface ColumnGroup<Row> {
  key: string;
  header: ReactNode;
  columns: readonly Column<Row>[];
}

function isGroup<Row>(column: Column<Row> | ColumnGroup<Row>): column is ColumnGroup<Row> {
  return "columns" in column;
}

export function ReportTable<Row>({
  columns,
  rows,
  rowKey,
  caption,
  testId,
  rowTestId,
}: {
  columns: readonly (Column<Row> | ColumnGroup<Row>)[];
  rows: readonly Row[];
  rowKey: (row: Row) => string;
  caption?: ReactNode;
  testId?: string;
  rowTestId?: string;
}) {
  const groups = columns.filter(isGroup);
  const leaves = columns.flatMap((column) => (isGroup(column) ? column.columns : [column]));
  const grouped = groups.length > 0;
  const captionId = useId();
  const hasCaption = caption !== undefined;
  // Wider than a phone: the table scrolls inside its box, not the page; the box takes the focus
  // so that it scrolls by keyboard too, and is named by the caption.
  return (
    <div
      className="table-scroll"
      tabIndex={0}
      role={hasCaption ? "region" : undefined}
      aria-labelledby={hasCaption ? captionId : undefined}
    >
      <table data-testid={testId}>
        {hasCaption && <caption id={captionId}>{caption}</caption>}
        <thead>
          <tr>
            {columns.map((column) =>
              isGroup(column) ? (
                <th key={column.key} scope="colgroup" colSpan={column.columns.length}>
                  {column.header}
                </th>
              ) : (
                <th key={column.key} scope="col" rowSpan={grouped ? 2 : undefined}>
                  {column.header}
                </th>
              ),
            )}
          </tr>
          {grouped && (
            <tr>
              {groups
                .flatMap((group) => group.columns)
                .map((column) => (
                  <th key={column.key} scope="col">
                    {column.header}
                  </th>
                ))}
            </tr>
          )}
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} data-testid={rowTestId}>
              {leaves.map((column) => (
                <Cell key={column.key} rowHeader={column.rowHeader} testId={column.cellTestId}>
                  {column.cell(row)}
                </Cell>
              ))}
            </tr>
          ))}
        </tbody>
        {leaves.some((column) => column.foot !== undefined) && (
          <tfoot>
            <tr>
              {leaves.map((column) => (
                <Cell key={column.key} rowHeader={column.rowHeader}>
                  {column.foot}
                </Cell>
              ))}
            </tr>
          </tfoot>
        )}
      </table>
    </div>
  );
}

function Cell({
  rowHeader,
  testId,
  children,
}: {
  rowHeader?: boolean;
  testId?: string;
  children: ReactNode;
}) {
  return rowHeader ? (
    <th scope="row" data-testid={testId}>
      {children}
    </th>
  ) : (
    <td data-testid={testId}>{children}</td>
  );
}
