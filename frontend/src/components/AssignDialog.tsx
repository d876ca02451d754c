// The dialog behind "An Bearbeiter verteilen". Two ways: one clerk for the selected leads
// (assignLeads, as before), or several clerks with a strategy, a preview of who gets which lead
// and why, then the real run (distributeLeads). "Alle N Treffer" (a filter, not ids) only goes
// the second way.
import { type FormEvent, useEffect, useLayoutEffect, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import {
  type DistributionStrategy,
  FILTER_LIMIT,
  type Selection,
  STRATEGIES,
  distributeInput,
  listError,
  selectedCount,
} from "../distribution";
import { errorText } from "../errorText";
import { graphql } from "../gql";
import type { ClerksQuery, LeadFilter } from "../gql/graphql";
import { useI18n } from "../I18n";
import { ClerkLoad, type DistributionClerk, DistributionClerksDocument } from "./ClerkLoad";
import { type DistributionResult, DistributionPreview } from "./DistributionPreview";
import { readUserErrors } from "./FieldError";

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

const DistributeLeadsDocument = graphql(`
  mutation DistributeLeads($input: DistributeLeadsInput!) {
    distributeLeads(input: $input) {
      assignments {
        ...DistributionPreview_assignment
      }
      skipped {
        ...DistributionPreview_skipped
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

export function AssignDialog({
  selection,
  filter,
  busy,
  onConfirm,
  onDistributed,
  onCancel,
}: {
  selection: Selection;
  /** The overview's filter: what "all matching" distributes. */
  filter: LeadFilter;
  busy: boolean;
  /** One clerk for the selected leads (assignLeads). */
  onConfirm: (clerk: Clerk) => void;
  /** The real distributeLeads ran: what it did. */
  onDistributed: (result: DistributionResult) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  // A filter's leads have no ids here: only distributeLeads takes them.
  const onlySeveral = selection.kind === "all";
  const [several, setSeveral] = useState(onlySeveral);
  const count = selectedCount(selection);

  // A layout effect: it runs before the forms' effects, which then move the focus from the
  // dialog's first control (where showModal puts it) to the first clerk.
  useLayoutEffect(() => {
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

  return (
    <dialog
      ref={dialog}
      className={several ? "distribute-dialog" : undefined}
      aria-labelledby="assign-title"
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <h2 id="assign-title">{t("assign.title")}</h2>
      <label className="choice">
        <input
          type="checkbox"
          checked={several}
          disabled={onlySeveral}
          onChange={(event) => setSeveral(event.target.checked)}
        />
        <span>{t("distribute.several")}</span>
      </label>
      {several ? (
        <SeveralClerks
          selection={selection}
          filter={filter}
          onDistributed={onDistributed}
          onCancel={onCancel}
        />
      ) : (
        <OneClerk count={count} busy={busy} onConfirm={onConfirm} onCancel={onCancel} />
      )}
    </dialog>
  );
}

function OneClerk({
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
    <form onSubmit={submit}>
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
  );
}

/** Several clerks and a strategy: "Vorschau" shows what would happen, "Verteilen" does it.
 * Any change of clerks or strategy takes the preview away (it would no longer be true). */
function SeveralClerks({
  selection,
  filter,
  onDistributed,
  onCancel,
}: {
  selection: Selection;
  filter: LeadFilter;
  onDistributed: (result: DistributionResult) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [clerkIds, setClerkIds] = useState<string[]>([]);
  const [strategy, setStrategy] = useState<DistributionStrategy>("LEAST_LOADED");
  const [preview, setPreview] = useState<DistributionResult | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [clerks] = useQuery({
    query: DistributionClerksDocument,
    requestPolicy: "network-only",
  });
  const [run, distribute] = useMutation(DistributeLeadsDocument);
  const active: DistributionClerk[] = clerks.data?.users.filter((clerk) => clerk.active) ?? [];
  const count = selectedCount(selection);

  function choose(next: { clerkIds?: string[]; strategy?: DistributionStrategy }) {
    if (next.clerkIds) setClerkIds(next.clerkIds);
    if (next.strategy) setStrategy(next.strategy);
    setPreview(null);
    setProblem(null);
  }

  async function send(dryRun: boolean) {
    if (clerkIds.length === 0) {
      setProblem(t("distribute.pickClerks"));
      return;
    }
    const input = distributeInput(selection, filter, clerkIds, strategy, dryRun);
    const result = await distribute({ input });
    const payload = result.data?.distributeLeads;
    const errors = readUserErrors(payload?.userErrors);
    if (result.error || !payload) {
      setProblem(errorText(t, result.error ?? { code: "", message: "" }));
    } else if (errors.length) {
      setProblem(errorText(t, listError(errors[0])));
    } else if (dryRun) {
      setPreview({
        assignments: payload.assignments,
        skipped: payload.skipped,
      });
    } else {
      onDistributed({
        assignments: payload.assignments,
        skipped: payload.skipped,
      });
    }
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void send(preview === null);
  }

  return (
    <form onSubmit={submit}>
      <p>
        {selection.kind === "all"
          ? t("distribute.introAll", { count })
          : t("distribute.intro", { count })}
        {count > FILTER_LIMIT && ` ${t("distribute.firstOnly")}`}
      </p>
      {clerks.fetching && <p role="status">{t("app.loading")}</p>}
      {clerks.error && <p role="alert">{errorText(t, clerks.error)}</p>}
      {clerks.data && active.length === 0 && <p>{t("assign.noClerks")}</p>}
      {active.length > 0 && (
        <fieldset aria-describedby={problem ? "distribute-problem" : undefined}>
          <legend>{t("assign.clerks")}</legend>
          {active.map((clerk) => (
            <label key={clerk.id} className="choice">
              <input
                type="checkbox"
                value={clerk.id}
                checked={clerkIds.includes(clerk.id)}
                onChange={(event) =>
                  choose({
                    clerkIds: event.target.checked
                      ? [...clerkIds, clerk.id]
                      : clerkIds.filter((id) => id !== clerk.id),
                  })
                }
              />
              <span className="clerk-name">{clerk.name}</span>
              <ClerkLoad clerk={clerk} />
            </label>
          ))}
        </fieldset>
      )}
      <fieldset>
        <legend>{t("distribute.strategy")}</legend>
        {STRATEGIES.map((option) => (
          <label key={option} className="choice">
            <input
              type="radio"
              name="strategy"
              value={option}
              checked={strategy === option}
              onChange={() => choose({ strategy: option })}
            />
            <span>{t(`distribute.strategy.${option}`)}</span>
          </label>
        ))}
      </fieldset>
      {problem && (
        <p id="distribute-problem" className="error" role="alert">
          {problem}
        </p>
      )}
      {preview && <DistributionPreview result={preview} />}
      <div className="actions">
        <button type="button" onClick={onCancel}>
          {t("assign.cancel")}
        </button>
        <button type="submit" className="primary" disabled={run.fetching || active.length === 0}>
          {run.fetching
            ? t("assign.busy")
            : preview
              ? t("distribute.confirm")
              : t("distribute.preview")}
        </button>
      </div>
    </form>
  );
}
