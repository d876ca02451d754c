// The one translation layer: every text the user sees is a key here, German first.
export type Language = "de" | "en";
export const LANGUAGES: readonly Language[] = ["de", "en"];
export const DEFAULT_LANGUAGE: Language = "de";
export const LANGUAGE_STORAGE_KEY = "leadflow.language";

/** A text, or one per grammatical number when it takes a {count}. */
type Message = string | { one: string; other: string };

const de = {
  "app.name": "Leadflow",
  "app.loading": "Wird geladen …",
  "app.error": "Das hat nicht geklappt: {message}",
  "app.notAvailable": "Für Ihre Rolle gibt es hier noch nichts zu tun.",
  "language.switch": "English",
  "language.switchLabel": "Switch to English",
  "nav.main": "Hauptnavigation",
  "nav.leads": "Leads",
  "nav.tasks": "Meine Aufgaben",
  "nav.logout": "Abmelden",
  "nav.signedInAs": "Angemeldet als {name}",
  "login.title": "Anmelden",
  "login.email": "E-Mail",
  "login.password": "Passwort",
  "login.submit": "Anmelden",
  "login.busy": "Anmelden …",
  "login.invalid": "E-Mail oder Passwort ist falsch.",
  "login.throttled": "Zu viele Versuche. Bitte in {seconds} Sekunden erneut versuchen.",
  "login.failed": "Die Anmeldung ist fehlgeschlagen. Bitte später erneut versuchen.",
  "login.required": "Bitte E-Mail und Passwort eingeben.",
  "leads.title": "Leads",
  "leads.tabs": "Status",
  "leads.tab.new": "Neu",
  "leads.tab.active": "Aktiv",
  "leads.tab.done": "Erledigt",
  "leads.col.select": "Auswahl",
  "leads.col.contact": "Kontakt",
  "leads.col.company": "Firma",
  "leads.col.campaign": "Kampagne",
  "leads.col.assignee": "Sachbearbeiter",
  "leads.col.age": "Alter",
  "leads.selectAll": "Alle auf dieser Seite auswählen",
  "leads.selectOne": "{name} auswählen",
  "leads.selected": { one: "{count} Lead ausgewählt", other: "{count} Leads ausgewählt" },
  "leads.empty": "Keine Leads in diesem Bereich.",
  "leads.unassigned": "—",
  "leads.distribute": "An Bearbeiter verteilen",
  "leads.distributed": {
    one: "{count} Lead wurde an {name} verteilt.",
    other: "{count} Leads wurden an {name} verteilt.",
  },
  "leads.conflict":
    "Jemand anderes war schneller: {names} ist nicht mehr neu. Es wurde nichts verteilt; die Liste ist jetzt aktuell.",
  "leads.conflictUnknown":
    "Jemand anderes hat die Leads gerade geändert. Es wurde nichts verteilt; die Liste ist jetzt aktuell.",
  "leads.assignFailed": "Das Verteilen ist fehlgeschlagen: {message}",
  "paging.label": "Seiten",
  "paging.previous": "Vorherige Seite",
  "paging.next": "Nächste Seite",
  "paging.page": "Seite {page} von {pages}",
  "assign.title": "An Bearbeiter verteilen",
  "assign.intro": { one: "{count} Lead an einen Sachbearbeiter verteilen.", other: "{count} Leads an einen Sachbearbeiter verteilen." },
  "assign.clerks": "Sachbearbeiter",
  "assign.openLeads": { one: "{count} offener Lead", other: "{count} offene Leads" },
  "assign.noClerks": "Es gibt keine aktiven Sachbearbeiter.",
  "assign.confirm": "Verteilen",
  "assign.busy": "Wird verteilt …",
  "assign.cancel": "Abbrechen",
  "assign.pickClerk": "Bitte einen Sachbearbeiter auswählen.",
  "tasks.title": "Meine Aufgaben",
  "tasks.empty": "Keine offenen Leads. Gut gemacht!",
  "tasks.col.waiting": "Wartet seit",
  "tasks.col.phone": "Telefon",
  "tasks.total": { one: "{count} offener Lead", other: "{count} offene Leads" },
  "age.justNow": "gerade eben",
  "age.minutes": { one: "{count} Minute", other: "{count} Minuten" },
  "age.hours": { one: "{count} Stunde", other: "{count} Stunden" },
  "age.days": { one: "{count} Tag", other: "{count} Tage" },
} satisfies Record<string, Message>;

export type MessageKey = keyof typeof de;

const en: Record<MessageKey, Message> = {
  "app.name": "Leadflow",
  "app.loading": "Loading …",
  "app.error": "That did not work: {message}",
  "app.notAvailable": "There is nothing to do here for your role yet.",
  "language.switch": "Deutsch",
  "language.switchLabel": "Auf Deutsch umschalten",
  "nav.main": "Main navigation",
  "nav.leads": "Leads",
  "nav.tasks": "My tasks",
  "nav.logout": "Log out",
  "nav.signedInAs": "Signed in as {name}",
  "login.title": "Log in",
  "login.email": "Email",
  "login.password": "Password",
  "login.submit": "Log in",
  "login.busy": "Logging in …",
  "login.invalid": "Email or password is wrong.",
  "login.throttled": "Too many attempts. Please try again in {seconds} seconds.",
  "login.failed": "Logging in failed. Please try again later.",
  "login.required": "Please enter email and password.",
  "leads.title": "Leads",
  "leads.tabs": "Status",
  "leads.tab.new": "New",
  "leads.tab.active": "Active",
  "leads.tab.done": "Done",
  "leads.col.select": "Selection",
  "leads.col.contact": "Contact",
  "leads.col.company": "Company",
  "leads.col.campaign": "Campaign",
  "leads.col.assignee": "Clerk",
  "leads.col.age": "Age",
  "leads.selectAll": "Select all on this page",
  "leads.selectOne": "Select {name}",
  "leads.selected": { one: "{count} lead selected", other: "{count} leads selected" },
  "leads.empty": "No leads here.",
  "leads.unassigned": "—",
  "leads.distribute": "Distribute to clerk",
  "leads.distributed": {
    one: "{count} lead was distributed to {name}.",
    other: "{count} leads were distributed to {name}.",
  },
  "leads.conflict":
    "Someone else was faster: {names} is no longer new. Nothing was distributed; the list is up to date now.",
  "leads.conflictUnknown":
    "Someone else just changed these leads. Nothing was distributed; the list is up to date now.",
  "leads.assignFailed": "Distributing failed: {message}",
  "paging.label": "Pages",
  "paging.previous": "Previous page",
  "paging.next": "Next page",
  "paging.page": "Page {page} of {pages}",
  "assign.title": "Distribute to clerk",
  "assign.intro": { one: "Distribute {count} lead to a clerk.", other: "Distribute {count} leads to a clerk." },
  "assign.clerks": "Clerks",
  "assign.openLeads": { one: "{count} open lead", other: "{count} open leads" },
  "assign.noClerks": "There are no active clerks.",
  "assign.confirm": "Distribute",
  "assign.busy": "Distributing …",
  "assign.cancel": "Cancel",
  "assign.pickClerk": "Please choose a clerk.",
  "tasks.title": "My tasks",
  "tasks.empty": "No open leads. Well done!",
  "tasks.col.waiting": "Waiting for",
  "tasks.col.phone": "Phone",
  "tasks.total": { one: "{count} open lead", other: "{count} open leads" },
  "age.justNow": "just now",
  "age.minutes": { one: "{count} minute", other: "{count} minutes" },
  "age.hours": { one: "{count} hour", other: "{count} hours" },
  "age.days": { one: "{count} day", other: "{count} days" },
};

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
