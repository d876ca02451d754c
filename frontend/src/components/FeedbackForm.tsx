// "Feedback erfassen": how the contact was reached and what they said, on an ACTIVE lead.
import { type FormEvent, useEffect, useRef, useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../gql";
import type { Channel } from "../gql/graphql";
import { focusFirstProblem } from "../formFocus";
import { requestError } from "../errorText";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike, errorsByField } from "../leadDetail";
import { FieldError, invalidProps, readUserErrors } from "./FieldError";

const RecordFeedbackDocument = graphql(`
  mutation RecordFeedback($input: RecordFeedbackInput!) {
    recordFeedback(input: $input) {
      feedback {
        id
      }
      lead {
        id
        status
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

const CHANNELS: readonly Channel[] = ["PHONE", "EMAIL", "MEETING", "LETTER", "OTHER"];
const FIELDS = ["channel", "note"];

export function FeedbackForm({ leadId, onSaved }: { leadId: string; onSaved: () => void }) {
  const { t } = useI18n();
  const [channel, setChannel] = useState<Channel>("PHONE");
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const [{ fetching }, recordFeedback] = useMutation(RecordFeedbackDocument);
  const formRef = useRef<HTMLFormElement>(null);
  // Counts refusals, so that each one (also the same again) moves the focus to what to fix.
  const [refusals, setRefusals] = useState(0);
  useEffect(() => {
    if (refusals > 0) focusFirstProblem(formRef.current, "feedback-error");
  }, [refusals]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const result = await recordFeedback({ input: { leadId, channel, note } });
    const userErrors = result.error
      ? [requestError(result.error)]
      : readUserErrors(result.data?.recordFeedback.userErrors);
    setErrors(errorsByField(userErrors, FIELDS));
    if (userErrors.length > 0) {
      setRefusals((count) => count + 1);
      return;
    }
    setNote("");
    onSaved(); // the lead page moves on to the next step (and the focus with it)
  }

  return (
    <section className="card" aria-labelledby="feedback-title">
      <h2 id="feedback-title">{t("feedback.title")}</h2>
      <form ref={formRef} className="form" onSubmit={submit} noValidate>
        <label htmlFor="feedback-channel">{t("feedback.channel")}</label>
        <select
          id="feedback-channel"
          value={channel}
          onChange={(event) => setChannel(event.target.value as Channel)}
          {...invalidProps("feedback-channel-error", errors.channel)}
        >
          {CHANNELS.map((one) => (
            <option key={one} value={one}>
              {t(`channel.${one}`)}
            </option>
          ))}
        </select>
        <FieldError id="feedback-channel-error" error={errors.channel} />
        <label htmlFor="feedback-note">{t("feedback.note")}</label>
        <textarea
          id="feedback-note"
          rows={3}
          value={note}
          onChange={(event) => setNote(event.target.value)}
          {...invalidProps("feedback-note-error", errors.note)}
        />
        <FieldError id="feedback-note-error" error={errors.note} />
        <FieldError id="feedback-error" error={errors[FORM]} />
        <div className="actions">
          <button type="submit" className="primary" disabled={fetching}>
            {fetching ? t("feedback.busy") : t("feedback.submit")}
          </button>
        </div>
      </form>
    </section>
  );
}
