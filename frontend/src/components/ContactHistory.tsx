// "Änderungen": a contact's corrections, newest first: which field, old → new, who, when.
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { useI18n } from "../I18n";
import { describeContactChange, formatDateTime } from "../leadDetail";

export const ContactHistoryFragment = graphql(`
  fragment ContactHistory_contact on Contact {
    history {
      field
      oldValue
      newValue
      at
      actor {
        id
        name
      }
    }
  }
`);

export function ContactHistory({
  contact,
}: {
  contact: FragmentType<typeof ContactHistoryFragment>;
}) {
  const { t, language } = useI18n();
  const { history } = getFragmentData(ContactHistoryFragment, contact);
  if (history.length === 0) return null; // nothing corrected: no empty card on every lead
  return (
    <section className="card" aria-labelledby="contact-history-title">
      <h2 id="contact-history-title">{t("contact.history")}</h2>
      <ol className="timeline" data-testid="contact-history">
        {history.map((change, position) => (
          <li key={`${change.at}-${change.field}-${position}`}>
            <time dateTime={change.at}>{formatDateTime(language, change.at)}</time>{" "}
            <strong>{describeContactChange(t, change)}</strong>{" "}
            <span className="meta">{t("contact.changeBy", { name: change.actor.name })}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
