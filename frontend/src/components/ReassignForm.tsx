// "Neu zuweisen": a manager moves an ACTIVE lead to another active clerk.
import { useMutation } from "urql";
import { requestError } from "../errorText";
import { graphql } from "../gql";
import { type ClerkChoice, ClerkChoiceForm, type ClerkChoiceResult } from "./ClerkChoiceForm";
import { readUserErrors } from "./FieldError";

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
        ...LeadHistory_lead
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

export function ReassignForm({
  leadId,
  assigneeId,
  onReassigned,
}: {
  leadId: string;
  assigneeId: string | null;
  onReassigned: (name: string) => void;
}) {
  const [{ fetching }, reassign] = useMutation(ReassignLeadDocument);

  async function submit({ clerkId }: ClerkChoice): Promise<ClerkChoiceResult> {
    const result = await reassign({ input: { leadId, assigneeId: clerkId } });
    if (result.error) return { failure: requestError(result.error) };
    const payload = result.data?.reassignLead;
    return {
      userErrors: readUserErrors(payload?.userErrors),
      clerkName: payload?.lead?.assignee?.name ?? null,
    };
  }

  return (
    <ClerkChoiceForm
      idPrefix="reassign"
      clerkField="assigneeId"
      selectId="reassign-assignee"
      texts={{ title: "reassign.title", submit: "reassign.submit", busy: "reassign.busy" }}
      currentClerkId={assigneeId}
      busy={fetching}
      onSubmit={submit}
      onDone={onReassigned}
    />
  );
}
