// "Choose another active clerk (and add a note), then confirm": the card that hand-over and
// reassignment share. It checks that a clerk is chosen and shows the errors; the caller brings
// the mutation, its ids and its texts.
import { type FormEvent, useState } from "react";
import type { CodedError } from "../errorText";
import { useI18n } from "../I18n";
import type { MessageKey } from "../i18n";
import { FORM, type UserErrorLike, errorsByField } from "../leadDetail";
import { ClerkSelect, useOtherActiveClerks } from "./ClerkSelect";
import { FieldError, invalidProps } from "./FieldError";

export type ClerkChoice = { clerkId: string; note: string };

/** What became of a submission: the request failed, or the payload's user errors and, once the
 * change went through, the name of the clerk who has the lead or opportunity now. */
export type ClerkChoiceResult =
  | { failure: CodedError }
  | { userErrors: readonly UserErrorLike[]; clerkName: string | null };

export function ClerkChoiceForm({
  idPrefix,
  clerkField,
  selectId,
  texts,
  currentClerkId,
  busy,
  onSubmit,
  onDone,
}: {
  /** Names the card's elements: `${idPrefix}-title`, `-error`, `-note`, `-note-error`. */
  idPrefix: string;
  /** The input field that takes the clerk, as the API names it in its user errors. */
  clerkField: string;
  selectId: string;
  /** The card's own texts; with `note`, the form has an optional note under that label. */
  texts: { title: MessageKey; submit: MessageKey; busy: MessageKey; note?: MessageKey };
  /** The clerk who has it now: not offered. */
  currentClerkId: string | null;
  busy: boolean;
  onSubmit: (choice: ClerkChoice) => Promise<ClerkChoiceResult>;
  onDone: (clerkName: string) => void;
}) {
  const { t } = useI18n();
  const [clerkId, setClerkId] = useState("");
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const candidates = useOtherActiveClerks(currentClerkId);
  const fields = texts.note ? [clerkField, "note"] : [clerkField];
  const noteId = `${idPrefix}-note`;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!clerkId) {
      setErrors({ [clerkField]: { code: "REQUIRED", message: "", field: [clerkField] } });
      return;
    }
    const result = await onSubmit({ clerkId, note });
    if ("failure" in result) {
      setErrors({ [FORM]: result.failure });
      return;
    }
    setErrors(errorsByField(result.userErrors, fields));
    if (result.userErrors.length === 0 && result.clerkName !== null) {
      setClerkId("");
      setNote("");
      onDone(result.clerkName);
    }
  }

  return (
    <section className="card" aria-labelledby={`${idPrefix}-title`}>
      <h2 id={`${idPrefix}-title`}>{t(texts.title)}</h2>
      {candidates && candidates.length === 0 ? (
        <p className="empty">{t("clerkChoice.noClerks")}</p>
      ) : (
        <form className="form" onSubmit={submit} noValidate>
          <ClerkSelect
            id={selectId}
            label={t("clerkChoice.clerk")}
            placeholder={t("clerkChoice.pick")}
            clerks={candidates}
            value={clerkId}
            onChange={setClerkId}
            error={errors[clerkField]}
          />
          {texts.note && (
            <>
              <label htmlFor={noteId}>{t(texts.note)}</label>
              <textarea
                id={noteId}
                rows={3}
                value={note}
                onChange={(event) => setNote(event.target.value)}
                {...invalidProps(`${noteId}-error`, errors.note)}
              />
              <FieldError id={`${noteId}-error`} error={errors.note} />
            </>
          )}
          <FieldError id={`${idPrefix}-error`} error={errors[FORM]} />
          <div className="actions">
            <button type="submit" className="primary" disabled={busy}>
              {busy ? t(texts.busy) : t(texts.submit)}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
