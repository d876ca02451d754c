// Moving a Verkaufschance to another stage: the "Verschieben nach …" menu (what the keyboard and
// touch screens use instead of dragging), and the move itself, shared by the board and the detail page: a move
// to LOST asks for the reason, one to WON for a confirmation, both in a small dialog; the outcome
// comes back in words (CONFLICT when someone else moved it first).
import { type FormEvent, type ReactNode, useCallback, useEffect, useRef, useState } from "react";
import { useMutation } from "urql";
import { errorText } from "../errorText";
import { graphql } from "../gql";
import type { OpportunityLostReason, OpportunityStage } from "../gql/graphql";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike, errorsByField } from "../leadDetail";
import { LOST_REASONS, moveQuestion } from "../pipeline";
import { FieldError, invalidProps, readUserErrors } from "./FieldError";

const MoveOpportunityDocument = graphql(`
  mutation MoveOpportunity($input: MoveOpportunityInput!) {
    moveOpportunity(input: $input) {
      opportunity {
        id
        stage
        closedAt
        lostReason
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

/** The stages to move to, as buttons: on a card behind "Verschieben nach …" (a disclosure, so
 * that a column of cards stays short), on the detail page always shown. Buttons, not a select:
 * a select's arrow keys would move the card at the first key press. */
export function MoveOpportunityMenu({
  id,
  title,
  label,
  targets,
  alwaysOpen = false,
  disabled = false,
  onChoose,
}: {
  id: string;
  /** The opportunity's title: names the card's button for people who cannot see the card. */
  title: string;
  /** Names the list of stages. */
  label: string;
  targets: readonly OpportunityStage[];
  alwaysOpen?: boolean;
  disabled?: boolean;
  onChoose: (target: OpportunityStage) => void;
}) {
  const { t } = useI18n();
  const [open, setOpen] = useState(alwaysOpen);
  const toggle = useRef<HTMLButtonElement>(null);
  const listId = `${id}-stages`;

  function close() {
    setOpen(false);
    toggle.current?.focus();
  }

  return (
    <div
      className="move-menu"
      onKeyDown={(event) => {
        if (event.key === "Escape" && open && !alwaysOpen) close();
      }}
    >
      {!alwaysOpen && (
        <button
          ref={toggle}
          type="button"
          className="move-toggle"
          aria-expanded={open}
          aria-controls={listId}
          onClick={() => setOpen(!open)}
        >
          {t("board.moveTo")}
          <span className="visually-hidden"> ({title})</span>
        </button>
      )}
      {open && (
        <ul id={listId} className="move-targets" aria-label={label}>
          {targets.map((stage) => (
            <li key={stage}>
              <button
                type="button"
                disabled={disabled}
                onClick={() => {
                  // Back on the toggle first: a dialog the move opens returns the focus there.
                  if (!alwaysOpen) close();
                  onChoose(stage);
                }}
              >
                {t(`stage.${stage}`)}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export interface MoveRequest {
  id: string;
  title: string;
  target: OpportunityStage;
}

export type MoveOutcome = { ok: true; text: string } | { ok: false; text: string };

interface MoveAnswers {
  lostReason?: OpportunityLostReason;
  note?: string;
}

/** The move of one card at a time: `request` it (from the menu or a drop); `dialog` is the
 * question it asks first, if any; `outcome` says what became of it. A refused move most often
 * means that what the screen shows is stale (moved or handed over meanwhile): `onRefused` lets
 * the screen load it again. */
export function useOpportunityMove(onRefused: () => void = () => {}): {
  request: (move: MoveRequest) => void;
  dialog: ReactNode;
  outcome: MoveOutcome | null;
  /** Forgets the outcome (another action on the screen has its own message). */
  clear: () => void;
  busy: boolean;
} {
  const { t } = useI18n();
  const [{ fetching }, moveOpportunity] = useMutation(MoveOpportunityDocument);
  const [asking, setAsking] = useState<MoveRequest | null>(null);
  const [outcome, setOutcome] = useState<MoveOutcome | null>(null);

  /** Sends the move; the user errors of the fields a dialog shows go back to it. */
  async function send(move: MoveRequest, answers: MoveAnswers): Promise<UserErrorLike[]> {
    const result = await moveOpportunity({
      input: {
        opportunityId: move.id,
        stage: move.target,
        lostReason: answers.lostReason ?? null,
        note: answers.note || null,
      },
    });
    if (result.error) {
      setAsking(null);
      setOutcome({ ok: false, text: errorText(t, result.error) });
      onRefused();
      return [];
    }
    const userErrors = readUserErrors(result.data?.moveOpportunity.userErrors);
    if (userErrors.length === 0) {
      setAsking(null);
      const stage = t(`stage.${move.target}`);
      setOutcome({ ok: true, text: t("board.moved", { title: move.title, stage }) });
      return [];
    }
    const inDialog = userErrors.filter((error) => isDialogField(error));
    if (inDialog.length > 0 && asking) return inDialog;
    setAsking(null);
    setOutcome({ ok: false, text: errorText(t, userErrors[0]) });
    onRefused();
    return [];
  }

  function request(move: MoveRequest) {
    setOutcome(null);
    if (moveQuestion(move.target) === "none") void send(move, {});
    else setAsking(move);
  }

  const dialog = asking ? (
    <MoveDialog
      key={`${asking.id}-${asking.target}`}
      move={asking}
      busy={fetching}
      onConfirm={(answers) => send(asking, answers)}
      onCancel={() => setAsking(null)}
    />
  ) : null;
  const clear = useCallback(() => setOutcome(null), []);
  return { request, dialog, outcome, clear, busy: fetching };
}

const DIALOG_FIELDS = ["lostReason", "note"];

function isDialogField(error: UserErrorLike): boolean {
  return DIALOG_FIELDS.includes((error.field ?? []).join("."));
}

/** "Als verloren markieren" with the reason, or "Als gewonnen markieren?"; a note for both. */
function MoveDialog({
  move,
  busy,
  onConfirm,
  onCancel,
}: {
  move: MoveRequest;
  busy: boolean;
  onConfirm: (answers: MoveAnswers) => Promise<UserErrorLike[]>;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  const lost = move.target === "LOST";
  const [reason, setReason] = useState<OpportunityLostReason | "">("");
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});

  useEffect(() => {
    const element = dialog.current;
    // As the distribute dialog: modal (focus stays inside, Esc cancels), and the focus goes
    // back to where it was (the card's menu) when the dialog closes.
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (element && !element.open) element.showModal();
    return () => {
      element?.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (lost && !reason) {
      setErrors({ lostReason: { code: "REQUIRED", message: "", field: ["lostReason"] } });
      return;
    }
    const refused = await onConfirm({ lostReason: reason || undefined, note });
    setErrors(errorsByField(refused, DIALOG_FIELDS));
  }

  return (
    <dialog
      ref={dialog}
      className="move-dialog"
      aria-labelledby="move-dialog-title"
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <form className="form" onSubmit={submit} noValidate>
        <h2 id="move-dialog-title">{t(lost ? "board.lostTitle" : "board.wonTitle")}</h2>
        <p>{t(lost ? "board.lostIntro" : "board.wonIntro", { title: move.title })}</p>
        {lost && (
          <>
            <label htmlFor="move-lost-reason">{t("board.lostReason")}</label>
            <select
              id="move-lost-reason"
              value={reason}
              onChange={(event) => setReason(event.target.value as OpportunityLostReason | "")}
              {...invalidProps("move-lost-reason-error", errors.lostReason)}
            >
              <option value="">{t("close.reasonPlaceholder")}</option>
              {LOST_REASONS.map((one) => (
                <option key={one} value={one}>
                  {t(`lostReason.${one}`)}
                </option>
              ))}
            </select>
            <FieldError id="move-lost-reason-error" error={errors.lostReason} />
          </>
        )}
        <label htmlFor="move-note">{t("board.note")}</label>
        <textarea
          id="move-note"
          rows={2}
          value={note}
          onChange={(event) => setNote(event.target.value)}
          {...invalidProps("move-note-error", errors.note)}
        />
        <FieldError id="move-note-error" error={errors.note} />
        <FieldError id="move-dialog-error" error={errors[FORM]} />
        <div className="actions">
          <button type="button" onClick={onCancel}>
            {t("board.cancel")}
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {t(lost ? "board.lostConfirm" : "board.wonConfirm")}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** What became of the last move. It takes the focus: the button that asked for the move is
 * gone with the card's old place, and a keyboard user goes on from the outcome. */
export function MoveOutcomeNotice({ outcome }: { outcome: MoveOutcome | null }) {
  const message = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (outcome) message.current?.focus();
  }, [outcome]);
  return (
    <div className="notices" aria-live="polite">
      {outcome && (
        <p
          ref={message}
          tabIndex={-1}
          className={outcome.ok ? "success" : "problem"}
          role={outcome.ok ? "status" : "alert"}
        >
          {outcome.text}
        </p>
      )}
    </div>
  );
}
