// What a section shows while its query has nothing to show: the error, the loading, or "none".
import type { CombinedError } from "urql";
import { errorText } from "../errorText";
import { useI18n } from "../I18n";

/** The error, else "loading" until the first data; then `empty` when `isEmpty`. */
export function QueryState({
  fetching,
  hasData,
  error,
  isEmpty = false,
  empty,
}: {
  fetching: boolean;
  hasData: boolean;
  error?: CombinedError;
  isEmpty?: boolean;
  /** What to say when the data came and holds nothing. */
  empty?: string;
}) {
  const { t } = useI18n();
  return (
    <>
      {error ? (
        <p role="alert">{errorText(t, error)}</p>
      ) : (
        fetching && !hasData && <p role="status">{t("app.loading")}</p>
      )}
      {hasData && isEmpty && empty && <p className="empty">{empty}</p>}
    </>
  );
}
