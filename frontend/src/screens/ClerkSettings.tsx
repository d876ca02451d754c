// "Bearbeiter" (managers): every clerk with the most open leads they take (capacity; empty is no
// limit) and their absences, saved per clerk with updateClerkSettings. "Meine Abwesenheiten"
// (clerks): the same form for their own absences, without the capacity.
import { type FormEvent, useId, useState } from "react";
import { useMutation, useQuery } from "urql";
import {
  ClerkLoad,
  type DistributionClerk,
  DistributionClerksDocument,
} from "../components/ClerkLoad";
import { FieldError, invalidProps, readUserErrors } from "../components/FieldError";
import { FormError } from "../components/FormError";
import { QueryState } from "../components/QueryState";
import { SuppressionList } from "../components/SuppressionList";
import { type AbsenceRange, invalidAbsence, parseCapacity } from "../distribution";
import { graphql } from "../gql";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike, errorsByField } from "../leadDetail";
import { errorText } from "../errorText";
import { usePageTitle } from "../pageTitle";
import { mayLiftSuppression } from "../privacy";
import type { Viewer } from "../viewer";

const MyAbsencesDocument = graphql(`
  query MyAbsences {
    viewer {
      id
      name
      absences {
        from
        to
      }
    }
  }
`);

const UpdateClerkSettingsDocument = graphql(`
  mutation UpdateClerkSettings($input: UpdateClerkSettingsInput!) {
    updateClerkSettings(input: $input) {
      user {
        id
        capacity
        absences {
          from
          to
        }
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

/** Managers: every active clerk's settings; admins below them the suppression list (people are
 * managed here, and there is no page of admins' own). */
export function ClerkSettings({ viewer }: { viewer: Viewer }) {
  const { t } = useI18n();
  usePageTitle(t("clerks.title"));
  const [{ data, fetching, error }] = useQuery({
    query: DistributionClerksDocument,
    requestPolicy: "cache-and-network",
  });
  const clerks = data?.users.filter((clerk) => clerk.active) ?? [];
  return (
    <section aria-labelledby="clerks-title">
      <h1 id="clerks-title">{t("clerks.title")}</h1>
      <p className="hint">{t("clerks.intro")}</p>
      <QueryState
        fetching={fetching}
        hasData={Boolean(data)}
        error={error}
        isEmpty={clerks.length === 0}
        empty={t("assign.noClerks")}
      />
      {clerks.map((clerk) => (
        <ClerkCard key={clerk.id} clerk={clerk} />
      ))}
      {mayLiftSuppression(viewer) && <SuppressionList />}
    </section>
  );
}

function ClerkCard({ clerk }: { clerk: DistributionClerk }) {
  const titleId = useId();
  return (
    <section className="card clerk-settings" aria-labelledby={titleId} data-testid="clerk-card">
      <h2 id={titleId}>
        {clerk.name} <ClerkLoad clerk={clerk} />
      </h2>
      <SettingsForm
        userId={clerk.id}
        capacity={clerk.capacity ?? null}
        absences={clerk.absences}
        withCapacity
      />
    </section>
  );
}

/** Clerks: their own absences. */
export function MyAbsences({ viewer }: { viewer: Viewer }) {
  const { t } = useI18n();
  usePageTitle(t("absences.title"));
  const [{ data, fetching, error }] = useQuery({
    query: MyAbsencesDocument,
    requestPolicy: "cache-and-network",
  });
  return (
    <section aria-labelledby="absences-title" className="clerk-settings">
      <h1 id="absences-title">{t("absences.title")}</h1>
      <p className="hint">{t("absences.intro")}</p>
      <QueryState fetching={fetching} hasData={Boolean(data)} error={error} />
      {data && (
        <SettingsForm
          key={viewer.id}
          userId={data.viewer.id}
          capacity={null}
          absences={data.viewer.absences}
          withCapacity={false}
        />
      )}
    </section>
  );
}

type Row = AbsenceRange & { key: number };

function SettingsForm({
  userId,
  capacity,
  absences,
  withCapacity,
}: {
  userId: string;
  capacity: number | null;
  absences: readonly AbsenceRange[];
  withCapacity: boolean;
}) {
  const { t } = useI18n();
  const id = useId();
  const [capacityText, setCapacityText] = useState(capacity === null ? "" : String(capacity));
  const [rows, setRows] = useState<Row[]>(() =>
    absences.map((absence, index) => ({
      from: absence.from,
      to: absence.to,
      key: index,
    })),
  );
  const [nextKey, setNextKey] = useState(absences.length);
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const [saved, setSaved] = useState(false);
  const [{ fetching }, update] = useMutation(UpdateClerkSettingsDocument);

  function edit(next: Row[]) {
    setRows(next);
    setSaved(false);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSaved(false);
    const parsed = parseCapacity(capacityText);
    if (withCapacity && !parsed.ok) {
      setErrors({
        capacity: { code: "INVALID", message: "", field: ["capacity"] },
      });
      return;
    }
    const wrong = invalidAbsence(rows);
    if (wrong !== null) {
      const field = ["absences", String(wrong)];
      setErrors({ [field.join(".")]: { code: "INVALID", message: "", field } });
      return;
    }
    const input = {
      userId,
      absences: rows.map(({ from, to }) => ({ from, to })),
      ...(withCapacity && parsed.ok ? { capacity: parsed.value } : {}),
    };
    const result = await update({ input });
    if (result.error) {
      setErrors({ [FORM]: { code: "", message: errorText(t, result.error) } });
      return;
    }
    const userErrors = readUserErrors(result.data?.updateClerkSettings.userErrors);
    const fields = ["capacity", ...rows.map((_, index) => `absences.${index}`)];
    setErrors(errorsByField(userErrors.map(absenceRow), fields));
    setSaved(userErrors.length === 0);
  }

  const capacityId = `${id}-capacity`;
  return (
    <form className="form" onSubmit={submit} noValidate>
      {withCapacity && (
        <>
          <label htmlFor={capacityId}>{t("clerks.capacity")}</label>
          <input
            id={capacityId}
            type="number"
            min={0}
            step={1}
            inputMode="numeric"
            value={capacityText}
            onChange={(event) => {
              setCapacityText(event.target.value);
              setSaved(false);
            }}
            aria-describedby={`${capacityId}-hint`}
            {...invalidProps(`${capacityId}-error`, errors.capacity)}
          />
          <span id={`${capacityId}-hint`} className="hint">
            {t("clerks.capacityHint")}
          </span>
          <FieldError id={`${capacityId}-error`} error={errors.capacity} />
        </>
      )}
      <fieldset>
        <legend>{t("clerks.absences")}</legend>
        {rows.length === 0 && <p className="empty">{t("clerks.noAbsences")}</p>}
        {rows.map((row, index) => {
          const rowId = `${id}-absence-${row.key}`;
          // Its text is about absences whichever day the server named.
          const found = errors[`absences.${index}`];
          const error = found && { ...found, field: ["absences"] };
          const change = (part: Partial<AbsenceRange>) =>
            edit(rows.map((one) => (one.key === row.key ? { ...one, ...part } : one)));
          return (
            <div key={row.key} className="absence-row" data-testid="absence-row">
              <label htmlFor={`${rowId}-from`}>{t("clerks.from")}</label>
              <input
                id={`${rowId}-from`}
                type="date"
                value={row.from}
                onChange={(event) => change({ from: event.target.value })}
                {...invalidProps(`${rowId}-error`, error)}
              />
              <label htmlFor={`${rowId}-to`}>{t("clerks.to")}</label>
              <input
                id={`${rowId}-to`}
                type="date"
                value={row.to}
                onChange={(event) => change({ to: event.target.value })}
                {...invalidProps(`${rowId}-error`, error)}
              />
              <button
                type="button"
                aria-label={t("clerks.removeAbsence", { number: index + 1 })}
                onClick={() => edit(rows.filter((one) => one.key !== row.key))}
              >
                {t("clerks.remove")}
              </button>
              <FieldError id={`${rowId}-error`} error={error} />
            </div>
          );
        })}
        <button
          type="button"
          onClick={() => {
            edit([...rows, { from: "", to: "", key: nextKey }]);
            setNextKey(nextKey + 1);
          }}
        >
          {t("clerks.addAbsence")}
        </button>
      </fieldset>
      <FormError id={`${id}-error`} error={errors[FORM]} />
      <div className="actions">
        {saved && (
          <span className="saved" role="status">
            {t("clerks.saved")}
          </span>
        )}
        <button type="submit" className="primary" disabled={fetching}>
          {fetching ? t("clerks.saving") : t("clerks.save")}
        </button>
      </div>
    </form>
  );
}

/** An error about one absence (["absences", "2", "to"]) belongs to its row ("absences.2"). */
function absenceRow(error: UserErrorLike): UserErrorLike {
  const field = error.field ?? [];
  if (field[0] !== "absences" || field.length < 2) return error;
  return { ...error, field: field.slice(0, 2) };
}
