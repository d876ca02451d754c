// "Sperrliste" (admins): an erased person's email and phone stay on the suppression list (as
// keyed hashes), so that intake, imports and partners cannot store them again. When the person
// gives consent again, an admin lifts it here by the email and/or phone and a reason
// (liftSuppression); the answer says how many entries were lifted.
import { type FormEvent, useRef, useState } from "react";
import { useMutation } from "urql";
import { requestError } from "../errorText";
import { focusFirstProblem } from "../formFocus";
import { graphql } from "../gql";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike, errorsByField } from "../leadDetail";
import { EMPTY_LIFT, LIFT_FORM_FIELDS, type LiftDraft, liftErrors, liftInput } from "../privacy";
import { FieldError, invalidProps, readUserErrors } from "./FieldError";

const LiftSuppressionDocument = graphql(`
  mutation LiftSuppression($input: LiftSuppressionInput!) {
    liftSuppression(input: $input) {
      lifted
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

export function SuppressionList() {
  const { t } = useI18n();
  const [draft, setDraft] = useState<LiftDraft>(EMPTY_LIFT);
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const [lifted, setLifted] = useState<number | null>(null);
  const [{ fetching }, lift] = useMutation(LiftSuppressionDocument);
  const formRef = useRef<HTMLFormElement>(null);

  function refuse(found: readonly UserErrorLike[]) {
    setLifted(null);
    setErrors(errorsByField(found, LIFT_FORM_FIELDS));
    // After the render that marks the fields: the first one to fix takes the focus.
    requestAnimationFrame(() => focusFirstProblem(formRef.current, "lift-error"));
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const checked = liftInput(draft);
    if ("errors" in checked) return refuse(checked.errors);
    const result = await lift({ input: checked.input });
    if (result.error) return refuse([requestError(result.error)]);
    const payload = result.data?.liftSuppression;
    const userErrors = readUserErrors(payload?.userErrors);
    if (!payload || userErrors.length > 0) return refuse(liftErrors(userErrors));
    setErrors({});
    setDraft(EMPTY_LIFT);
    setLifted(payload.lifted);
  }

  function field(name: keyof LiftDraft, label: string, errorKey: string, type = "text") {
    const id = `lift-${name}`;
    return (
      <>
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          type={type}
          value={draft[name]}
          placeholder={name === "reason" ? t("suppression.reasonPlaceholder") : undefined}
          onChange={(event) => setDraft({ ...draft, [name]: event.target.value })}
          {...invalidProps(`${id}-error`, errors[errorKey])}
        />
        <FieldError id={`${id}-error`} error={errors[errorKey]} />
      </>
    );
  }

  return (
    <section className="card suppression-list" aria-labelledby="suppression-title">
      <h2 id="suppression-title">{t("suppression.title")}</h2>
      <p className="hint">{t("suppression.intro")}</p>
      <form ref={formRef} className="form" onSubmit={submit} noValidate>
        <div className="form-row">
          <div className="form">{field("email", t("suppression.email"), "liftEmail", "email")}</div>
          <div className="form">{field("phone", t("suppression.phone"), "liftPhone", "tel")}</div>
        </div>
        {field("reason", t("suppression.reason"), "liftReason")}
        <FieldError id="lift-error" error={errors[FORM]} />
        <div className="actions">
          <button type="submit" className="primary" disabled={fetching}>
            {fetching ? t("suppression.busy") : t("suppression.submit")}
          </button>
        </div>
      </form>
      <p className="saved" role="status" data-testid="suppression-lifted">
        {lifted !== null && t("suppression.lifted", { count: lifted })}
      </p>
    </section>
  );
}
