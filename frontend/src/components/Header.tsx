import { DASHBOARD_PATH } from "../dashboard";
import { useI18n } from "../I18n";
import type { MessageKey } from "../i18n";
import { useLocation } from "../router";
import { type Screen, WEBHOOKS_PATH, screenAt } from "../routes";
import { type Viewer, mayOpen } from "../viewer";
import { LanguageSwitch } from "./LanguageSwitch";
import { Link } from "./Link";
import { NotificationBell } from "./NotificationBell";

/** The main navigation in order: an entry is shown when the viewer may open its screen, and is
 * current on that screen and on the detail pages listed with it. */
const NAVIGATION: readonly { screen: Screen; href: string; label: MessageKey; also?: Screen }[] = [
  { screen: "leads", href: "/leads", label: "nav.leads", also: "lead" },
  { screen: "tasks", href: "/tasks", label: "nav.tasks" },
  { screen: "opportunities", href: "/opportunities", label: "nav.opportunities", also: "opportunity" },
  { screen: "campaigns", href: "/campaigns", label: "nav.campaigns" },
  { screen: "dashboard", href: DASHBOARD_PATH, label: "nav.dashboard" },
  { screen: "clerks", href: "/clerks", label: "nav.clerks" },
  { screen: "absences", href: "/absences", label: "nav.absences" },
  { screen: "webhooks", href: WEBHOOKS_PATH, label: "nav.webhooks", also: "webhook" },
];

export function Header({ viewer, onLogout }: { viewer: Viewer; onLogout: () => void }) {
  const { t } = useI18n();
  const { path } = useLocation();
  const here = screenAt(path);
  return (
    <header className="header">
      <a className="skip" href="#main">
        {t("app.skipToContent")}
      </a>
      <strong className="brand">{t("app.name")}</strong>
      <nav aria-label={t("nav.main")}>
        {NAVIGATION.filter((entry) => mayOpen(viewer, entry.screen)).map((entry) => (
          <Link
            key={entry.screen}
            href={entry.href}
            current={here !== null && (here === entry.screen || here === entry.also)}
          >
            {t(entry.label)}
          </Link>
        ))}
      </nav>
      <NotificationBell />
      <span className="who">{t("nav.signedInAs", { name: viewer.name })}</span>
      <LanguageSwitch />
      <button type="button" onClick={onLogout}>
        {t("nav.logout")}
      </button>
    </header>
  );
}
