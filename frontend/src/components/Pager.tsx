// The pager below a paged list: "Seite 2 von 5" with links to the previous and the next page.
import { useI18n } from "../I18n";
import { type Paging, nextPage, pageNumber, previousPage } from "../routes";
import { Link } from "./Link";

/** The pages of a connection: its page number out of how many, and links to the previous and
 * the next page (the cursors of the pages before live in the URL, `urlOf` writes it). */
export function Pager<State extends Paging>({
  state,
  total,
  pageSize,
  pageInfo,
  urlOf,
}: {
  state: State;
  total: number;
  pageSize: number;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null } | undefined;
  urlOf: (state: State) => string;
}) {
  const { t } = useI18n();
  const page = pageNumber(state);
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const endCursor = pageInfo?.endCursor;
  const previousHref = state.cursors.length ? urlOf(previousPage(state)) : null;
  const nextHref = pageInfo?.hasNextPage && endCursor ? urlOf(nextPage(state, endCursor)) : null;
  if (pages <= 1) return null;
  return (
    <nav className="pager" aria-label={t("paging.label")}>
      {previousHref ? <Link href={previousHref}>{t("paging.previous")}</Link> : <span />}
      <span>{t("paging.page", { page, pages })}</span>
      {nextHref ? <Link href={nextHref}>{t("paging.next")}</Link> : <span />}
    </nav>
  );
}
