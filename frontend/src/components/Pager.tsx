import { useI18n } from "../I18n";
import { Link } from "./Link";

export function Pager({
  page,
  pages,
  previousHref,
  nextHref,
}: {
  page: number;
  pages: number;
  previousHref: string | null;
  nextHref: string | null;
}) {
  const { t } = useI18n();
  if (pages <= 1) return null;
  return (
    <nav className="pager" aria-label={t("paging.label")}>
      {previousHref ? <Link href={previousHref}>{t("paging.previous")}</Link> : <span />}
      <span>{t("paging.page", { page, pages })}</span>
      {nextHref ? <Link href={nextHref}>{t("paging.next")}</Link> : <span />}
    </nav>
  );
}
