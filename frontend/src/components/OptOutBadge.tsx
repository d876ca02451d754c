// "Widerspruch": the person objected to being contacted (DSGVO). Shown next to the contact's
// name wherever a contact appears; the word carries the meaning, the description says it in full
// for screen readers and as a tooltip.
import { useI18n } from "../I18n";

export function OptOutBadge({ optedOut }: { optedOut: boolean | undefined }) {
  const { t } = useI18n();
  if (!optedOut) return null;
  const description = t("optOut.description");
  return (
    <>
      {" "}
      <span className="badge opt-out-badge" title={description} data-testid="opt-out-badge">
        {t("optOut.badge")}
        <span className="visually-hidden">: {description}</span>
      </span>
    </>
  );
}
