// The marker beside a contact's name wherever a contact appears: "Personendaten gelöscht" for a
// person whose data was erased (DSGVO Art. 17; such a contact is opted out too, so "Widerspruch"
// would only repeat it), else "Widerspruch" for a person who objected to being contacted. The
// word carries the meaning, the description says it in full for screen readers and as a tooltip.
import { useI18n } from "../I18n";
import type { MessageKey } from "../i18n";
import { type ContactMarker, contactMarker } from "../privacy";

const TEXTS: Record<NonNullable<ContactMarker>, { badge: MessageKey; description: MessageKey }> = {
  erased: { badge: "erasure.badge", description: "erasure.description" },
  optedOut: { badge: "optOut.badge", description: "optOut.description" },
};

const CLASSES: Record<NonNullable<ContactMarker>, string> = {
  erased: "badge erased-badge",
  optedOut: "badge opt-out-badge",
};

const TEST_IDS: Record<NonNullable<ContactMarker>, string> = {
  erased: "erased-badge",
  optedOut: "opt-out-badge",
};

export function OptOutBadge({
  contact,
}: {
  contact: { optedOut?: boolean; erasedAt?: string | null };
}) {
  const { t } = useI18n();
  const marker = contactMarker(contact);
  if (!marker) return null;
  const description = t(TEXTS[marker].description);
  return (
    <>
      {" "}
      <span className={CLASSES[marker]} title={description} data-testid={TEST_IDS[marker]}>
        {t(TEXTS[marker].badge)}
        <span className="visually-hidden">: {description}</span>
      </span>
    </>
  );
}
