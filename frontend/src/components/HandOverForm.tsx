// "Übergeben": hand an open Verkaufschance to another active clerk, with an optional note.
import { useMutation } from "urql";
import { requestError } from "../errorText";
import { graphql } from "../gql";
import { type ClerkChoice, ClerkChoiceForm, type ClerkChoiceResult } from "./ClerkChoiceForm";
import { readUserErrors } from "./FieldError";

const HandOverOpportunityDocument = graphql(`
  mutation HandOverOpportunity($input: HandOverOpportunityInput!) {
    handOverOpportunity(input: $input) {
      opportunity {
        id
        owner {
          id
          name
        }
        ...OpportunityHistory_opportunity
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

export function HandOverForm({
  opportunityId,
  ownerId,
  onHandedOver,
}: {
  opportunityId: string;
  ownerId: string;
  onHandedOver: (name: string) => void;
}) {
  const [{ fetching }, handOver] = useMutation(HandOverOpportunityDocument);

  async function submit({ clerkId, note }: ClerkChoice): Promise<ClerkChoiceResult> {
    const result = await handOver({
      input: { opportunityId, ownerId: clerkId, note: note || null },
    });
    if (result.error) return { failure: requestError(result.error) };
    const payload = result.data?.handOverOpportunity;
    return {
      userErrors: readUserErrors(payload?.userErrors),
      clerkName: payload?.opportunity?.owner.name ?? null,
    };
  }

  return (
    <ClerkChoiceForm
      idPrefix="hand-over"
      clerkField="ownerId"
      selectId="hand-over-owner"
      texts={{
        title: "handOver.title",
        submit: "handOver.submit",
        busy: "handOver.busy",
        note: "handOver.note",
      }}
      currentClerkId={ownerId}
      busy={fetching}
      onSubmit={submit}
      onDone={onHandedOver}
    />
  );
}
