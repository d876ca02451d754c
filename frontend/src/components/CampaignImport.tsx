// "Import" of one campaign: choose a CSV file, see what the import would do (a dry run: nothing
// is written), fix the column mapping, import, and follow the progress to the final counts.
import { type ChangeEvent, useEffect, useId, useRef, useState } from "react";
import { useQuery } from "urql";
import { sendLeadFile } from "../client";
import { errorText } from "../errorText";
import { graphql } from "../gql";
import { type MessageKey, type Translate, isMessageKey } from "../i18n";
import { useI18n } from "../I18n";
import {
  type Choice,
  type DryRunReport,
  type ImportField,
  type Overrides,
  type UploadError,
  IMPORT_FIELDS,
  columnChoice,
  describeRowIssue,
  fieldChosenTwice,
  isImportField,
  progressOf,
  uploadErrorKey,
  uploadUrl,
} from "../imports";

/** How often a running import is asked for its progress. */
export const POLL_MS = 500;
/** Issues shown under the dry run; the rest are counted. */
const SHOWN_ISSUES = 10;

const LeadImportDocument = graphql(`
  query LeadImportProgress($id: ID!) {
    leadImport(id: $id) {
      id
      fileName
      status
      rowsExpected
      rowsProcessed
      leadsCreated
      contactsReused
      duplicatesSkipped
      rowsRejected
      emptyRows
      failure
      rejectedRowsUrl
    }
  }
`);

type Problem = { error: UploadError } | { text: string };

export function CampaignImport({
  campaignId,
  campaignName,
  onImported,
}: {
  campaignId: string;
  campaignName: string;
  onImported: () => void;
}) {
  const { t } = useI18n();
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [report, setReport] = useState<DryRunReport | null>(null);
  const [overrides, setOverrides] = useState<Overrides>({});
  const [checking, setChecking] = useState(false);
  const [starting, setStarting] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [importId, setImportId] = useState<string | null>(null);
  // Only the answer to the latest dry run counts: an older one may arrive after it.
  const latest = useRef(0);

  async function dryRun(chosen: File, mapping: Overrides) {
    const request = ++latest.current;
    setChecking(true);
    const answer = await sendLeadFile<DryRunReport>(
      uploadUrl(campaignId, chosen.name, { dryRun: true, overrides: mapping }),
      chosen,
    );
    if (request !== latest.current) return;
    setChecking(false);
    if (answer.ok) {
      setReport(answer.body);
      setProblem(null);
    } else {
      setProblem({ error: answer.error });
    }
  }

  function choose(event: ChangeEvent<HTMLInputElement>) {
    const chosen = event.target.files?.[0] ?? null;
    setFile(chosen);
    setReport(null);
    setOverrides({});
    setProblem(null);
    setImportId(null);
    if (chosen) void dryRun(chosen, {});
  }

  function remap(header: string, choice: Choice) {
    if (!file || !report) return;
    const next = { ...overrides, [header]: choice };
    setOverrides(next);
    const twice = fieldChosenTwice(report.columns, next);
    if (twice) {
      latest.current++; // an answer still on its way is for another mapping
      setChecking(false);
      setProblem({ text: t("import.mappingTwice", { field: t(`import.field.${twice}`) }) });
      return;
    }
    void dryRun(file, next);
  }

  async function start() {
    if (!file) return;
    setStarting(true);
    const answer = await sendLeadFile<{ importId: string }>(
      uploadUrl(campaignId, file.name, { dryRun: false, overrides }),
      file,
    );
    setStarting(false);
    if (!answer.ok) {
      setProblem({ error: answer.error });
      return;
    }
    setImportId(answer.body.importId);
    setReport(null);
    setFile(null);
    if (input.current) input.current.value = ""; // the same file may be chosen again
  }

  const problemText = problem
    ? "text" in problem
      ? problem.text
      : t(uploadErrorKey(problem.error))
    : null;
  const detail = problem && "error" in problem ? problem.error.message : "";
  const ready = Boolean(file && report && !checking && !starting && !problem);

  return (
    <div className="import">
      <h4 id={`${id}-title`}>{t("import.title")}</h4>
      <div className="file-field">
        <label htmlFor={`${id}-file`}>{t("import.file")}</label>
        <input
          ref={input}
          id={`${id}-file`}
          type="file"
          accept=".csv,text/csv"
          onChange={choose}
          aria-describedby={`${id}-hint${problem ? ` ${id}-problem` : ""}`}
          aria-invalid={problem ? true : undefined}
        />
        <p id={`${id}-hint`} className="hint">
          {t("import.hint", { campaign: campaignName })}
        </p>
        {problemText && (
          <p id={`${id}-problem`} className="error" role="alert">
            {problemText}
            {detail && <span className="detail"> {t("import.errorDetail", { detail })}</span>}
          </p>
        )}
      </div>
      {checking && <p role="status">{t("import.checking")}</p>}
      {report && file && (
        <DryRun
          report={report}
          overrides={overrides}
          busy={checking}
          onRemap={remap}
        />
      )}
      {report && file && (
        <div className="actions start">
          <button type="button" className="primary" disabled={!ready} onClick={start}>
            {starting ? t("import.starting") : t("import.start")}
          </button>
        </div>
      )}
      {importId && <ImportProgress key={importId} importId={importId} onFinished={onImported} />}
    </div>
  );
}

function DryRun({
  report,
  overrides,
  busy,
  onRemap,
}: {
  report: DryRunReport;
  overrides: Overrides;
  busy: boolean;
  onRemap: (header: string, choice: Choice) => void;
}) {
  const { t } = useI18n();
  const id = useId();
  const unknown = new Set(report.unknownColumns);
  const counts = report.counts;
  const issues = report.issues.slice(0, SHOWN_ISSUES);
  const hidden = report.issues.length - issues.length + report.moreIssues;
  return (
    <div className="dry-run" aria-busy={busy}>
      <h5>{t("import.preview")}</h5>
      <p data-testid="import-detected">
        {t("import.detected", {
          encoding: encodingName(t, report.encoding),
          separator: separatorName(t, report.separator),
        })}
      </p>
      <p className="hint">{t("import.nothingWritten")}</p>

      <fieldset className="mapping">
        <legend>{t("import.mapping")}</legend>
        {report.columns.map((column, index) => {
          const isUnknown = unknown.has(column.header);
          const selectId = `${id}-column-${index}`;
          return (
            <div
              key={`${index}-${column.header}`}
              className={isUnknown ? "column unknown" : "column"}
            >
              <label htmlFor={selectId}>{column.header || t("import.unnamedColumn")}</label>
              <select
                id={selectId}
                value={columnChoice(column, overrides)}
                aria-describedby={isUnknown ? `${selectId}-unknown` : undefined}
                onChange={(event) => onRemap(column.header, event.target.value as Choice)}
              >
                <option value="">{t("import.ignore")}</option>
                {IMPORT_FIELDS.map((field) => (
                  <option key={field} value={field}>
                    {t(`import.field.${field}`)}
                  </option>
                ))}
              </select>
              {isUnknown && (
                <span id={`${selectId}-unknown`} className="badge">
                  {t("import.unknownColumn")}
                </span>
              )}
            </div>
          );
        })}
      </fieldset>

      {/* Wider than a phone: scrolls in its box, which takes the focus to scroll by keyboard. */}
      <div
        className="table-scroll"
        tabIndex={0}
        role="region"
        aria-labelledby={`${id}-preview-caption`}
      >
        <table className="preview" data-testid="import-preview">
          <caption id={`${id}-preview-caption`}>
            {t("import.firstRows", { count: report.preview.length })}
          </caption>
          <thead>
            <tr>
              {report.header.map((header, index) => (
                <th
                  key={`${index}-${header}`}
                  scope="col"
                  className={unknown.has(header) ? "unknown" : undefined}
                >
                  {header}
                  <span className="mapped">{mappedTo(t, report, index, overrides)}</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {report.preview.map((row, rowIndex) => (
              <tr key={rowIndex}>
                {report.header.map((header, index) => (
                  <td
                    key={`${index}-${header}`}
                    className={unknown.has(header) ? "unknown" : undefined}
                  >
                    {row[index] ?? ""}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h5>{t("import.wouldDo")}</h5>
      <dl className="facts counts" data-testid="dry-run-counts">
        <dt>{t("import.count.rows")}</dt>
        <dd data-testid="dry-run-rows">{counts.rowsRead}</dd>
        <dt>{t("import.count.wouldImport")}</dt>
        <dd data-testid="dry-run-import">{counts.leadsCreated}</dd>
        <dt>{t("import.count.duplicates")}</dt>
        <dd data-testid="dry-run-duplicates">{counts.duplicatesSkipped}</dd>
        <dt>{t("import.count.rejected")}</dt>
        <dd data-testid="dry-run-rejected">{counts.rowsRejected}</dd>
        <dt>{t("import.count.empty")}</dt>
        <dd data-testid="dry-run-empty">{counts.emptyRows}</dd>
      </dl>
      {issues.length > 0 && (
        <table className="issues" data-testid="import-issues">
          <caption>{t("import.issues")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("import.issue.row")}</th>
              <th scope="col">{t("import.issue.kind")}</th>
              <th scope="col">{t("import.issue.field")}</th>
              <th scope="col">{t("import.issue.reason")}</th>
            </tr>
          </thead>
          <tbody>
            {issues.map((issue, index) => (
              <tr key={`${issue.row}-${index}`}>
                <td>{issue.row}</td>
                <td>{issueKind(t, issue.kind)}</td>
                <td>
                  {isImportField(issue.field) ? t(`import.field.${issue.field}`) : issue.field}
                </td>
                <td>{describeRowIssue(t, issue)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {hidden > 0 && <p className="hint">{t("import.moreIssues", { count: hidden })}</p>}
    </div>
  );
}

function mappedTo(
  t: Translate,
  report: DryRunReport,
  index: number,
  overrides: Overrides,
): string {
  const column = report.columns[index];
  const choice: Choice = column ? columnChoice(column, overrides) : "";
  return choice ? `→ ${t(`import.field.${choice as ImportField}`)}` : `→ ${t("import.ignore")}`;
}

function encodingName(t: Translate, encoding: string): string {
  const key = `import.encoding.${encoding}`;
  return isMessageKey(key) ? t(key) : encoding;
}

function separatorName(t: Translate, separator: string): string {
  const names: Record<string, MessageKey> = {
    ";": "import.separator.semicolon",
    ",": "import.separator.comma",
    "\t": "import.separator.tab",
  };
  return names[separator] ? t(names[separator]) : separator;
}

function issueKind(t: Translate, kind: string): string {
  const key = `import.issueKind.${kind}`;
  return isMessageKey(key) ? t(key) : kind;
}

/** The progress of a running import, asked for every POLL_MS until it has ended. */
function ImportProgress({ importId, onFinished }: { importId: string; onFinished: () => void }) {
  const { t } = useI18n();
  const [{ data, error }, refresh] = useQuery({
    query: LeadImportDocument,
    variables: { id: importId },
    requestPolicy: "network-only",
  });
  const lead = data?.leadImport;
  // QUEUED: waiting for its turn on the server; it runs later without anybody's help.
  const running = !lead || lead.status === "RUNNING" || lead.status === "QUEUED";
  const reported = useRef(false);

  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(() => refresh({ requestPolicy: "network-only" }), POLL_MS);
    return () => window.clearInterval(timer);
  }, [running, refresh]);

  useEffect(() => {
    if (running || reported.current) return;
    reported.current = true;
    onFinished();
  }, [running, onFinished]);

  const progress = lead ? progressOf(lead.rowsProcessed, lead.rowsExpected) : null;
  return (
    <div className="import-progress" data-testid="import-progress">
      <h5>{t("import.progressTitle")}</h5>
      {error && <p role="alert">{errorText(t, error)}</p>}
      <progress
        aria-label={t("import.progress")}
        value={progress?.value}
        max={progress?.max}
        data-testid="import-progress-bar"
      />
      {lead && (
        <p role="status" data-testid="import-status">
          {lead.status === "QUEUED"
            ? t("import.queued")
            : lead.status === "RUNNING"
              ? t("import.running", { done: lead.rowsProcessed, total: progress?.max ?? "…" })
              : lead.status === "COMPLETED"
                ? t("import.completed", { done: lead.rowsProcessed })
                : t("import.failed", { reason: lead.failure ?? "" })}
        </p>
      )}
      {lead && !running && (
        <dl className="facts counts" data-testid="import-result">
          <dt>{t("import.count.imported")}</dt>
          <dd data-testid="import-created">{lead.leadsCreated}</dd>
          <dt>{t("import.count.duplicates")}</dt>
          <dd data-testid="import-duplicates">{lead.duplicatesSkipped}</dd>
          <dt>{t("import.count.rejected")}</dt>
          <dd data-testid="import-rejected">{lead.rowsRejected}</dd>
          <dt>{t("import.count.empty")}</dt>
          <dd data-testid="import-empty">{lead.emptyRows}</dd>
        </dl>
      )}
      {lead && !running && lead.rowsRejected > 0 && lead.rejectedRowsUrl && (
        <p>
          <a href={lead.rejectedRowsUrl} download>
            {t("import.downloadRejected")}
          </a>
        </p>
      )}
    </div>
  );
}
