import type { Viewer } from "../App";
import { DASHBOARD_PATH } from "../dashboard";
import { useI18n } from "../I18n";
import { useLocation } from "../router";
import { LanguageSwitch } from "./LanguageSwitch";
import { Link } from "./Link";

export function Header({ viewer, onLogout }: { viewer: Viewer; onLogout: () => void }) {
  const { t } = useI18n();
  const { path } = useLocation();
  const manages = viewer.role === "MANAGER" || viewer.role === "ADMIN";
  return (
    <header className="header">
      <a className="skip" href="#main">
        {t("app.name")}
      </a>
      <strong className="brand">{t("app.name")}</strong>
      <nav aria-label={t("nav.main")}>
        {manages && (
          <Link href="/leads" current={path === "/leads" || path.startsWith("/leads/")}>
            {t("nav.leads")}
          </Link>
        )}
        {viewer.role === "CLERK" && (
          <Link href="/tasks" current={path === "/tasks"}>
            {t("nav.tasks")}
          </Link>
        )}
        {(manages || viewer.role === "CLERK") && (
          <Link
            href="/opportunities"
            current={path === "/opportunities" || path.startsWith("/opportunities/")}
          >
            {t("nav.opportunities")}
          </Link>
        )}
        {manages && (
          <Link href="/campaigns" current={path === "/campaigns"}>
            {t("nav.campaigns")}
          </Link>
        )}
        {(manages || viewer.role === "CLERK") && (
          <Link href={DASHBOARD_PATH} current={path === DASHBOARD_PATH}>
            {t("nav.dashboard")}
          </Link>
        )}
      </nav>
      <span className="who">{t("nav.signedInAs", { name: viewer.name })}</span>
      <LanguageSwitch />
      <button type="button" onClick={onLogout}>
        {t("nav.logout")}
      </button>
    </header>
  );
}

