// "Neu zuweisen": a manager moves an ACTIVE lead to another active clerk.
import { type FormEvent, useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike, errorsByField } from "../leadDetail";
import { ClerkSelect, useOtherActiveClerks } from "./ClerkSelect";
import { FieldError } from "./FieldError";

const ReassignLeadDocument = graphql(`
  mutation ReassignLead($input: ReassignLeadInput!) {
    reassignLead(input: $input) {
      lead {
        id
        status
        assignedAt
        assignee {
          id
          name
        }
        history {
          kind
          at
          note
          outcome
          closeReason
          actor {
            id
            name
          }
          assignee {
            id
            name
          }
          previousAssignee {
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

const FIELDS = ["assigneeId"];

export function ReassignForm({
  leadId,
  assigneeId,
  onReassigned,
}: {
  leadId: string;
  assigneeId: string | null;
  onReassigned: (name: string) => void;
}) {
  const { t } = useI18n();
  const [newAssigneeId, setNewAssigneeId] = useState("");
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const candidates = useOtherActiveClerks(assigneeId);
  const [{ fetching }, reassign] = useMutation(ReassignLeadDocument);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!newAssigneeId) {
      setErrors({ assigneeId: { code: "REQUIRED", message: "", field: ["assigneeId"] } });
      return;
    }
    const result = await reassign({ input: { leadId, assigneeId: newAssigneeId } });
    if (result.error) {
      setErrors({ [FORM]: { code: "", message: result.error.message } });
      return;
    }
    const payload = result.data?.reassignLead;
    const userErrors = payload?.userErrors ?? [];
    setErrors(errorsByField(userErrors, FIELDS));
    if (userErrors.length === 0 && payload?.lead?.assignee) {
      setNewAssigneeId("");
      onReassigned(payload.lead.assignee.name);
    }
  }

  return (
    <section className="card" aria-labelledby="reassign-title">
      <h2 id="reassign-title">{t("reassign.title")}</h2>
      {candidates && candidates.length === 0 ? (
        <p className="empty">{t("reassign.noClerks")}</p>
      ) : (
        <form className="form" onSubmit={submit} noValidate>
          <ClerkSelect
            id="reassign-assignee"
            label={t("reassign.assignee")}
            placeholder={t("reassign.pick")}
            clerks={candidates}
            value={newAssigneeId}
            onChange={setNewAssigneeId}
            error={errors.assigneeId}
          />
          <FieldError id="reassign-error" error={errors[FORM]} />
          <div className="actions">
            <button type="submit" className="primary" disabled={fetching}>
              {fetching ? t("reassign.busy") : t("reassign.submit")}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
