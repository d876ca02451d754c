// "Export" of one campaign: its leads as CSV for Excel, all of them or of one status. A plain
// link: the GET carries the session cookie, and the browser saves what it gets.
import { useId, useState } from "react";
import { useI18n } from "../I18n";
import { EXPORT_STATUSES, type ExportStatus, exportUrl } from "../imports";

export function CampaignExport({ campaignId }: { campaignId: string }) {
  const { t, language } = useI18n();
  const id = useId();
  const [status, setStatus] = useState<ExportStatus>("");
  return (
    <div className="export">
      <h4>{t("export.title")}</h4>
      <div className="file-field">
        <label htmlFor={`${id}-status`}>{t("export.status")}</label>
        <select
          id={`${id}-status`}
          value={status}
          onChange={(event) => setStatus(event.target.value as ExportStatus)}
        >
          {EXPORT_STATUSES.map((one) => (
            <option key={one} value={one}>
              {one ? t(`status.${one}`) : t("export.allStatuses")}
            </option>
          ))}
        </select>
        <a href={exportUrl(campaignId, language, status)} download>
          {t("export.download")}
        </a>
        <p className="hint">{t("export.hint")}</p>
      </div>
    </div>
  );
}
