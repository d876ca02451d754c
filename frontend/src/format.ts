// How long ago something happened, in the words of the translation layer.
import { type FragmentType, getFragmentData, graphql } from "./gql";
import type { Translate } from "./i18n";

/** What every list and page needs to name a lead's contact: spread it wherever a contact is
 * shown and read it with readContactName. */
export const ContactNameFragment = graphql(`
  fragment ContactName_contact on Contact {
    firstName
    lastName
    company
    optedOut
    erasedAt
  }
`);

export interface ContactNameParts {
  firstName: string;
  lastName: string;
  company: string;
  /** The person objected to being contacted (DSGVO); not known everywhere the name is. */
  optedOut?: boolean;
  /** When the person's data was erased (DSGVO Art. 17): the name is then only the server's
   * marker, and the contact shows as "Personendaten gelöscht". */
  erasedAt?: string | null;
}

export function readContactName(
  contact: FragmentType<typeof ContactNameFragment>,
): ContactNameParts {
  return getFragmentData(ContactNameFragment, contact);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "3 Tage", "5 Stunden", "gerade eben": the largest whole unit since `since`. */
export function formatAge(t: Translate, since: string | Date, now: Date = new Date()): string {
  const elapsed = now.getTime() - new Date(since).getTime();
  if (Number.isNaN(elapsed) || elapsed < MINUTE) return t("age.justNow");
  if (elapsed < HOUR) return t("age.minutes", { count: Math.floor(elapsed / MINUTE) });
  if (elapsed < DAY) return t("age.hours", { count: Math.floor(elapsed / HOUR) });
  return t("age.days", { count: Math.floor(elapsed / DAY) });
}

/** "Anna Müller"; empty when the contact has no name parts. */
export function contactName(contact: { firstName: string; lastName: string }): string {
  return [contact.firstName, contact.lastName].filter(Boolean).join(" ");
}

/** What a lead is called: its contact's name, or the company when the contact has no name. */
export function leadName(contact: ContactNameParts): string {
  return contactName(contact) || contact.company;
}

/** The company to show beside the lead's name: none when the name already is the company. */
export function companyAside(contact: ContactNameParts): string {
  return contactName(contact) ? contact.company : "";
}
