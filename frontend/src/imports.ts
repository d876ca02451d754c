// Lead files on the campaign page: the dry-run answer of POST /files/imports, the column mapping
// sent back with it, the progress of a running import and the export link. No requests here.
import type { Language, MessageKey, Translate } from "./i18n";
import { codeMessageKey, isMessageKey } from "./i18n";

/** The contact fields a column can fill, as the dry run names them (the API's names). */
export const IMPORT_FIELDS = [
  "firstName",
  "lastName",
  "company",
  "email",
  "phone",
  "street",
  "postalCode",
  "city",
  "country",
  "salutation",
] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];
/** What a column's select says: a contact field, or "" for "nicht importieren". */
export type Choice = ImportField | "";

export function isImportField(value: unknown): value is ImportField {
  return typeof value === "string" && (IMPORT_FIELDS as readonly string[]).includes(value);
}

export interface DryRunColumn {
  header: string;
  field: string | null;
}

/** A row the import would reject or skip: `code` says why (ImportIssueCode in
 * backend/leadflow/db/enums.py), `field` which contact field ("" for the whole row), `message`
 * the same in English. */
export interface DryRunIssue {
  row: number;
  kind: string;
  code: string;
  field: string;
  message: string;
}

export interface DryRunCounts {
  rowsRead: number;
  leadsCreated: number;
  contactsReused: number;
  duplicatesSkipped: number;
  rowsRejected: number;
  emptyRows: number;
}

/** The answer of a dry run (backend/leadflow/files.py `_report_json`). */
export interface DryRunReport {
  fileName: string;
  encoding: string;
  separator: string;
  header: string[];
  columns: DryRunColumn[];
  unknownColumns: string[];
  preview: string[][];
  counts: DryRunCounts;
  issues: DryRunIssue[];
  moreIssues: number;
}

/** The mapping the people changed by hand: header -> choice. Columns not in it keep the
 * automatic mapping, so a column the import does not know stays marked as unknown. */
export type Overrides = Record<string, Choice>;

/** What a column's select shows: the choice made by hand, else what the dry run mapped. */
export function columnChoice(column: DryRunColumn, overrides: Overrides): Choice {
  if (Object.hasOwn(overrides, column.header)) return overrides[column.header];
  return isImportField(column.field) ? column.field : "";
}

/** The `mapping` parameter: JSON of header -> field ("" ignores the column), or null when
 * nothing was changed by hand. */
export function mappingJson(overrides: Overrides): string | null {
  const entries = Object.entries(overrides);
  if (entries.length === 0) return null;
  return JSON.stringify(
    Object.fromEntries(entries.map(([header, choice]) => [header, choice])),
  );
}

/** A field two columns would fill: the import refuses that, so it is said before asking. */
export function fieldChosenTwice(
  columns: readonly DryRunColumn[],
  overrides: Overrides,
): ImportField | null {
  const seen = new Set<ImportField>();
  for (const column of columns) {
    const choice = columnChoice(column, overrides);
    if (!choice) continue;
    if (seen.has(choice)) return choice;
    seen.add(choice);
  }
  return null;
}

/** Why a row would be rejected or skipped, in the user's language: the text for its field and
 * code ("import.rowIssue.email.INVALID"), else for its code, like user errors of the API; the
 * server's English words only for a code without a text. */
export function describeRowIssue(
  t: Translate,
  issue: Pick<DryRunIssue, "code" | "field" | "message">,
): string {
  const key = issue.code ? codeMessageKey("import.rowIssue", issue.code, issue.field) : null;
  return key ? t(key) : issue.message;
}

/** Where a file goes: a dry run (nothing written) or the import itself. */
export function uploadUrl(
  campaignId: string,
  fileName: string,
  options: { dryRun: boolean; overrides: Overrides },
): string {
  const params = new URLSearchParams({ campaign: campaignId });
  if (options.dryRun) params.set("dryRun", "1");
  params.set("fileName", fileName);
  const mapping = mappingJson(options.overrides);
  if (mapping) params.set("mapping", mapping);
  return `/files/imports?${params}`;
}

/** A refusal of the file endpoints: {"error": {"code", "message", "field"}}. */
export interface UploadError {
  status: number;
  code: string;
  message: string;
  field: string[];
}

/** The refusal in a response body, or a generic one when the body is not the expected JSON. */
export function uploadError(status: number, body: unknown): UploadError {
  const error = (body as { error?: Partial<UploadError> } | null)?.error;
  if (error && typeof error.code === "string") {
    return {
      status,
      code: error.code,
      message: typeof error.message === "string" ? error.message : "",
      field: Array.isArray(error.field) ? error.field.map(String) : [],
    };
  }
  return { status, code: status === 413 ? "TOO_LARGE" : "FAILED", message: "", field: [] };
}

/** The text for a refusal: specific to code and field where there is one ("import.error.
 * REQUIRED.file"), else for the code, else the general one. */
export function uploadErrorKey(error: UploadError): MessageKey {
  const specific = `import.error.${error.code}.${error.field.join(".")}`;
  if (error.field.length && isMessageKey(specific)) return specific;
  const general = `import.error.${error.code}`;
  return isMessageKey(general) ? general : "import.error.FAILED";
}

/** A <progress>'s value and max. Before the file's rows are estimated the bar is
 * indeterminate (null); an estimate below the rows already read grows to fit. */
export function progressOf(
  rowsProcessed: number,
  rowsExpected: number | null | undefined,
): { value: number; max: number } | null {
  if (rowsExpected === null || rowsExpected === undefined) return null;
  return { value: rowsProcessed, max: Math.max(rowsExpected, rowsProcessed, 1) };
}

export type ExportStatus = "" | "NEW" | "ACTIVE" | "DONE";
export const EXPORT_STATUSES: readonly ExportStatus[] = ["", "NEW", "ACTIVE", "DONE"];

/** The download of a campaign's leads: German column names and ';' for German users. */
export function exportUrl(campaignId: string, language: Language, status: ExportStatus): string {
  const params = new URLSearchParams({ campaign: campaignId, lang: language });
  if (status) params.set("status", status);
  return `/files/exports/leads.csv?${params}`;
}
