import { describeUserError, type UserErrorLike } from "../leadDetail";
import { useI18n } from "../I18n";

/** A user error in plain words, right below the field it concerns (referenced by aria-describedby). */
export function FieldError({ id, error }: { id: string; error: UserErrorLike | undefined }) {
  const { t } = useI18n();
  if (!error) return null;
  return (
    <p id={id} className="error" role="alert">
      {describeUserError(t, error)}
    </p>
  );
}

/** The props that tie a field to its error for assistive technology. */
export function invalidProps(id: string, error: UserErrorLike | undefined) {
  return error ? { "aria-invalid": true, "aria-describedby": id } : {};
}
