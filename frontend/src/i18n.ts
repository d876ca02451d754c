// The one translation layer: every text the user sees is a key of de.json and en.json.
import deTexts from "../../backend/leadflow/i18n/de.json";
import enTexts from "../../backend/leadflow/i18n/en.json";

export type Language = "de" | "en";
export const LANGUAGES: readonly Language[] = ["de", "en"];
export const DEFAULT_LANGUAGE: Language = "de";
export const LANGUAGE_STORAGE_KEY = "leadflow.language";

/** A text, or one per grammatical number when it takes a {count}. */
type Message = string | { one: string; other: string };

// The texts live in one JSON file per language inside the backend package, which ships them:
// the CSV export takes its words from the same files (backend/leadflow/i18n/__init__.py).
const de = deTexts satisfies Record<string, Message>;

export type MessageKey = keyof typeof de;

// Typed against the German keys: a text missing in English fails the type check.
const en: Record<MessageKey, Message> = enTexts;

export const MESSAGES: Record<Language, Record<MessageKey, Message>> = { de, en };

export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

/** The text for `key` in `language`, with {placeholders} filled from `params`. */
export function translate(language: Language, key: MessageKey, params: Params = {}): string {
  const message = MESSAGES[language][key];
  const text =
    typeof message === "string" ? message : params.count === 1 ? message.one : message.other;
  return text.replace(/\{(\w+)\}/g, (placeholder, name: string) =>
    name in params ? String(params[name]) : placeholder,
  );
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === "string" && (LANGUAGES as readonly string[]).includes(value);
}

type LanguageStore = Pick<Storage, "getItem" | "setItem">;

/** The language the user chose last time, else German. */
export function rememberedLanguage(storage: LanguageStore | undefined): Language {
  try {
    const stored = storage?.getItem(LANGUAGE_STORAGE_KEY);
    return isLanguage(stored) ? stored : DEFAULT_LANGUAGE;
  } catch {
    return DEFAULT_LANGUAGE; // storage blocked (private mode): the default still works
  }
}

export function rememberLanguage(storage: LanguageStore | undefined, language: Language): void {
  try {
    storage?.setItem(LANGUAGE_STORAGE_KEY, language);
  } catch {
    // Not remembered, but the switch itself still happened.
  }
}

/** Whether `key` names a text, for keys built at run time (e.g. from an error code). */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(MESSAGES[DEFAULT_LANGUAGE], key);
}

/** The text for an error code under `prefix`: the one for this field and code where there is
 * one ("error.reason.REQUIRED"), else the one for the code ("error.REQUIRED"), else null so
 * that the caller can fall back to the server's words. `field` is the path, joined by ".". */
export function codeMessageKey(prefix: string, code: string, field: string): MessageKey | null {
  const specific = `${prefix}.${field}.${code}`;
  if (field && isMessageKey(specific)) return specific;
  const general = `${prefix}.${code}`;
  return isMessageKey(general) ? general : null;
}
