// "Übergeben": hand an open Verkaufschance to another active clerk, with an optional note.
import { type FormEvent, useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike, errorsByField } from "../leadDetail";
import { ClerkSelect, useOtherActiveClerks } from "./ClerkSelect";
import { FieldError, invalidProps } from "./FieldError";

const HandOverOpportunityDocument = graphql(`
  mutation HandOverOpportunity($input: HandOverOpportunityInput!) {
    handOverOpportunity(input: $input) {
      opportunity {
        id
        owner {
          id
          name
        }
        history {
          kind
          at
          note
          actor {
            id
            name
          }
          owner {
            id
            name
          }
          previousOwner {
            id
            name
          }
        }
      }
      userErrors {
        code
        message
        field
      }
    }
  }
`);

const FIELDS = ["ownerId", "note"];

export function HandOverForm({
  opportunityId,
  ownerId,
  onHandedOver,
}: {
  opportunityId: string;
  ownerId: string;
  onHandedOver: (name: string) => void;
}) {
  const { t } = useI18n();
  const [newOwnerId, setNewOwnerId] = useState("");
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const candidates = useOtherActiveClerks(ownerId);
  const [{ fetching }, handOver] = useMutation(HandOverOpportunityDocument);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!newOwnerId) {
      setErrors({ ownerId: { code: "REQUIRED", message: "", field: ["ownerId"] } });
      return;
    }
    const result = await handOver({
      input: { opportunityId, ownerId: newOwnerId, note: note || null },
    });
    if (result.error) {
      setErrors({ [FORM]: { code: "", message: result.error.message } });
      return;
    }
    const payload = result.data?.handOverOpportunity;
    const userErrors = payload?.userErrors ?? [];
    setErrors(errorsByField(userErrors, FIELDS));
    if (userErrors.length === 0 && payload?.opportunity) {
      setNewOwnerId("");
      setNote("");
      onHandedOver(payload.opportunity.owner.name);
    }
  }

  return (
    <section className="card" aria-labelledby="hand-over-title">
      <h2 id="hand-over-title">{t("handOver.title")}</h2>
      {candidates && candidates.length === 0 ? (
        <p className="empty">{t("handOver.noClerks")}</p>
      ) : (
        <form className="form" onSubmit={submit} noValidate>
          <ClerkSelect
            id="hand-over-owner"
            label={t("handOver.owner")}
            placeholder={t("handOver.pick")}
            clerks={candidates}
            value={newOwnerId}
            onChange={setNewOwnerId}
            error={errors.ownerId}
          />
          <label htmlFor="hand-over-note">{t("handOver.note")}</label>
          <textarea
            id="hand-over-note"
            rows={3}
            value={note}
            onChange={(event) => setNote(event.target.value)}
            {...invalidProps("hand-over-note-error", errors.note)}
          />
          <FieldError id="hand-over-note-error" error={errors.note} />
          <FieldError id="hand-over-error" error={errors[FORM]} />
          <div className="actions">
            <button type="submit" className="primary" disabled={fetching}>
              {fetching ? t("handOver.busy") : t("handOver.submit")}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
