import { useI18n } from "../I18n";

/** One click to the other language; the button is written in the language it switches to. */
export function LanguageSwitch() {
  const { language, setLanguage, t } = useI18n();
  const other = language === "de" ? "en" : "de";
  return (
    <button
      type="button"
      className="language"
      lang={other}
      aria-label={t("language.switchLabel")}
      onClick={() => setLanguage(other)}
    >
      {t("language.switch")}
    </button>
  );
}
