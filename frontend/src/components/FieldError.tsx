// User errors of a mutation payload, shown next to the field they concern. Every mutation reads
// them through this fragment, so the selection is written once.
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { errorText } from "../errorText";
import { useI18n } from "../I18n";
import type { UserErrorLike } from "../leadDetail";

export const UserErrorFragment = graphql(`
  fragment FieldError_userError on UserError {
    code
    message
    field
  }
`);

/** The user errors of a payload (none when there is no payload), unmasked. */
export function readUserErrors(
  errors: readonly FragmentType<typeof UserErrorFragment>[] | undefined,
): readonly UserErrorLike[] {
  return getFragmentData(UserErrorFragment, errors ?? []);
}

/** A user error in plain words, right below the field it concerns (referenced by aria-describedby). */
export function FieldError({ id, error }: { id: string; error: UserErrorLike | undefined }) {
  const { t } = useI18n();
  if (!error) return null;
  return (
    <p id={id} className="error" role="alert">
      {errorText(t, error)}
    </p>
  );
}

/** The props that tie a field to its error for assistive technology. */
export function invalidProps(id: string, error: UserErrorLike | undefined) {
  return error ? { "aria-invalid": true, "aria-describedby": id } : {};
}
