// The dialog behind "An Bearbeiter verteilen": pick one active clerk, see their current load.
import { type FormEvent, useEffect, useRef, useState } from "react";
import { useQuery } from "urql";
import { errorText } from "../errorText";
import { graphql } from "../gql";
import type { ClerksQuery } from "../gql/graphql";
import { useI18n } from "../I18n";

export const ClerksDocument = graphql(`
  query Clerks {
    users(role: CLERK) {
      id
      name
      active
      openLeadCount
    }
  }
`);

export type Clerk = ClerksQuery["users"][number];

export function AssignDialog({
  count,
  busy,
  onConfirm,
  onCancel,
}: {
  count: number;
  busy: boolean;
  onConfirm: (clerk: Clerk) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  const [clerkId, setClerkId] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  // Always fresh: the load of each clerk is what the manager decides by.
  const [{ data, fetching, error }] = useQuery({
    query: ClerksDocument,
    requestPolicy: "network-only",
  });
  const clerks = data?.users.filter((clerk) => clerk.active) ?? [];
  const clerksRef = useRef<HTMLFieldSetElement>(null);
  const hasClerks = clerks.length > 0;

  useEffect(() => {
    const element = dialog.current;
    // Unmounting removes the dialog, and the focus with it: give it back to the opener, so that
    // a keyboard user goes on where they were instead of at the end of the page.
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (element && !element.open) element.showModal(); // modal: focus stays inside, Esc cancels
    return () => {
      element?.close();
      opener?.focus();
    };
  }, []);

  // The choice of a clerk is what the dialog is for: the focus starts on the first clerk, whether
  // the list was there when the dialog opened or came a moment later (it then had "Abbrechen").
  useEffect(() => {
    const fieldset = clerksRef.current;
    if (!hasClerks || !fieldset || fieldset.contains(document.activeElement)) return;
    fieldset.querySelector<HTMLInputElement>('input[type="radio"]')?.focus();
  }, [hasClerks]);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const clerk = clerks.find((one) => one.id === clerkId);
    if (!clerk) {
      setProblem(t("assign.pickClerk"));
      return;
    }
    onConfirm(clerk);
  }

  return (
    <dialog
      ref={dialog}
      aria-labelledby="assign-title"
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <form onSubmit={submit}>
        <h2 id="assign-title">{t("assign.title")}</h2>
        <p>{t("assign.intro", { count })}</p>
        {fetching && <p role="status">{t("app.loading")}</p>}
        {error && <p role="alert">{errorText(t, error)}</p>}
        {data && clerks.length === 0 && <p>{t("assign.noClerks")}</p>}
        {clerks.length > 0 && (
          <fieldset ref={clerksRef} aria-describedby={problem ? "assign-problem" : undefined}>
            <legend>{t("assign.clerks")}</legend>
            {clerks.map((clerk) => (
              <label key={clerk.id} className="choice">
                <input
                  type="radio"
                  name="clerk"
                  value={clerk.id}
                  checked={clerkId === clerk.id}
                  onChange={() => {
                    setClerkId(clerk.id);
                    setProblem(null);
                  }}
                />
                <span className="clerk-name">{clerk.name}</span>
                <span className="clerk-load">
                  {t("assign.openLeads", { count: clerk.openLeadCount ?? 0 })}
                </span>
              </label>
            ))}
          </fieldset>
        )}
        {problem && (
          <p id="assign-problem" className="error" role="alert">
            {problem}
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={onCancel}>
            {t("assign.cancel")}
          </button>
          <button type="submit" className="primary" disabled={busy || clerks.length === 0}>
            {busy ? t("assign.busy") : t("assign.confirm")}
          </button>
        </div>
      </form>
    </dialog>
  );
}
