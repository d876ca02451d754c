// What a detail page shows instead of its object: refused, not found, loading or failed.
import type { ReactNode } from "react";
import type { CombinedError } from "urql";
import { errorCode } from "../client";
import { errorText } from "../errorText";
import { useI18n } from "../I18n";
import { usePageTitle } from "../pageTitle";

/** `prefix` names the page's texts: (`${prefix}.forbiddenTitle` as const), `.forbidden`, `.notFoundTitle`,
 * `.notFound`, `.loadFailed`. Shown while there is no data, or when the API refused. */
const REFUSALS = new Set(["FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT"]);

/** The API refused the object (not allowed, no such object, not a valid id). */
export function isRefused(error: CombinedError | undefined): boolean {
  return REFUSALS.has(errorCode(error) ?? "");
}

export function DetailFallback({
  prefix,
  titleId,
  back,
  error,
  fetching,
  testId,
}: {
  prefix: "lead" | "opp" | "webhook";
  titleId: string;
  back: ReactNode;
  error: CombinedError | undefined;
  fetching: boolean;
  testId?: string;
}) {
  const { t } = useI18n();
  const refused = isRefused(error);
  const forbidden = errorCode(error) === "FORBIDDEN";
  const title = t(
    forbidden ? (`${prefix}.forbiddenTitle` as const) : (`${prefix}.notFoundTitle` as const),
  );
  usePageTitle(refused ? title : null);
  if (refused) {
    return (
      <section aria-labelledby={titleId}>
        {back}
        <h1 id={titleId}>{title}</h1>
        <p className="problem" role="alert" data-testid={testId}>
          {t(forbidden ? (`${prefix}.forbidden` as const) : (`${prefix}.notFound` as const))}
        </p>
      </section>
    );
  }
  return (
    <section aria-busy={fetching}>
      {back}
      {error ? (
        <p role="alert">{t((`${prefix}.loadFailed` as const), { message: errorText(t, error) })}</p>
      ) : (
        <p role="status">{t("app.loading")}</p>
      )}
    </section>
  );
}
