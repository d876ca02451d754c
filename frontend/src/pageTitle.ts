// Each screen's own page title ("Meine Aufgaben – Leadflow", "Lead: Erika Muster – Leadflow"),
// in the current language: the first thing a screen reader says and what a browser tab shows.
import { useEffect } from "react";
import { focusNewScreen } from "./focus";
import { useI18n } from "./I18n";

/** Sets document.title to "`title` – Leadflow" once `title` is known (null while loading), and
 * moves the focus to the new screen's heading when this is another screen (focus.ts). */
export function usePageTitle(title: string | null | undefined): void {
  const { t } = useI18n();
  useEffect(() => {
    if (!title) return;
    document.title = t("app.pageTitle", { title });
    focusNewScreen();
  }, [title, t]);
}
