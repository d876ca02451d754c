// A refusal that concerns no field of a form, below the form: a failed request (put into words
// by errorText already, so its code is empty) or a user error about something the form does not
// show.
import { errorText } from "../errorText";
import { useI18n } from "../I18n";
import type { UserErrorLike } from "../leadDetail";

export function FormError({ id, error }: { id: string; error: UserErrorLike | undefined }) {
  const { t } = useI18n();
  if (!error) return null;
  return (
    <p id={id} className="error" role="alert">
      {error.code ? errorText(t, error) : error.message}
    </p>
  );
}
