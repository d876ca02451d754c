// The latest imports of one campaign: which file, who, when, how it ended, what it found.
import { useId } from "react";
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { useI18n } from "../I18n";
import { formatDateTime } from "../leadDetail";

export const ImportHistoryFragment = graphql(`
  fragment ImportHistory_leadImport on LeadImport {
    id
    fileName
    status
    startedAt
    rowsProcessed
    leadsCreated
    duplicatesSkipped
    rowsRejected
    emptyRows
    rejectedRowsUrl
    createdBy {
      id
      name
    }
  }
`);

export function ImportHistory({
  imports: refs,
}: {
  imports: readonly FragmentType<typeof ImportHistoryFragment>[];
}) {
  const { t, language } = useI18n();
  const imports = getFragmentData(ImportHistoryFragment, refs);
  const titleId = useId();
  return (
    <div className="import-history">
      <h4 id={titleId}>{t("imports.title")}</h4>
      {imports.length === 0 ? (
        <p className="empty">{t("imports.empty")}</p>
      ) : (
        // Ten columns are wider than a phone: the table scrolls in its box, which takes the
        // focus so that it scrolls by keyboard too.
        <div className="table-scroll" tabIndex={0} role="region" aria-labelledby={titleId}>
          <table data-testid="import-history">
            <thead>
              <tr>
                <th scope="col">{t("imports.col.file")}</th>
                <th scope="col">{t("imports.col.by")}</th>
                <th scope="col">{t("imports.col.started")}</th>
                <th scope="col">{t("imports.col.status")}</th>
                <th scope="col">{t("imports.col.rows")}</th>
                <th scope="col">{t("imports.col.created")}</th>
                <th scope="col">{t("imports.col.duplicates")}</th>
                <th scope="col">{t("imports.col.rejected")}</th>
                <th scope="col">{t("imports.col.empty")}</th>
                <th scope="col">
                  <span className="visually-hidden">{t("imports.col.download")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {imports.map((record) => (
                <tr key={record.id}>
                  <th scope="row">{record.fileName}</th>
                  <td>{record.createdBy?.name ?? t("imports.commandLine")}</td>
                  <td>{formatDateTime(language, record.startedAt)}</td>
                  <td>{t(`imports.status.${record.status}`)}</td>
                  <td>{record.rowsProcessed}</td>
                  <td>{record.leadsCreated}</td>
                  <td>{record.duplicatesSkipped}</td>
                  <td>{record.rowsRejected}</td>
                  <td>{record.emptyRows}</td>
                  <td>
                    {record.rejectedRowsUrl && (
                      <a
                        href={record.rejectedRowsUrl}
                        download
                        aria-label={t("imports.downloadRejectedOf", { file: record.fileName })}
                      >
                        {t("import.downloadRejected")}
                      </a>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
