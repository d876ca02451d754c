// What an empty list says: why it is empty and, when filters narrow it, "Filter zurücksetzen",
// the way back to the whole list.
import { useI18n } from "../I18n";
import { Link } from "./Link";

export function EmptyList({
  message,
  resetUrl,
}: {
  message: string;
  /** The list without its filters; null when nothing is filtered. */
  resetUrl: string | null;
}) {
  const { t } = useI18n();
  return (
    <div className="empty-state" data-testid="empty-state">
      <p className="empty">{message}</p>
      {resetUrl && (
        <p>
          <Link href={resetUrl}>{t("filters.reset")}</Link>
        </p>
      )}
    </div>
  );
}
