// Choosing another active clerk (hand-over, reassignment): the list and the labelled select;
// and the clerk filter of the lists.
import { useQuery } from "urql";
import { useI18n } from "../I18n";
import { type UserErrorLike } from "../leadDetail";
import { ClerksDocument } from "./AssignDialog";
import { FieldError, invalidProps } from "./FieldError";

export type Clerk = { id: string; name: string };

/** Active clerks other than `currentId` (undefined while loading). */
export function useOtherActiveClerks(currentId: string | null): Clerk[] | undefined {
  const [clerks] = useQuery({ query: ClerksDocument, requestPolicy: "cache-and-network" });
  return clerks.data?.users.filter((clerk) => clerk.active && clerk.id !== currentId);
}

export function ClerkSelect({
  id,
  label,
  placeholder,
  clerks,
  value,
  onChange,
  error,
}: {
  id: string;
  label: string;
  placeholder: string;
  clerks: Clerk[] | undefined;
  value: string;
  onChange: (clerkId: string) => void;
  error: UserErrorLike | undefined;
}) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        {...invalidProps(`${id}-error`, error)}
      >
        <option value="">{placeholder}</option>
        {(clerks ?? []).map((clerk) => (
          <option key={clerk.id} value={clerk.id}>
            {clerk.name}
          </option>
        ))}
      </select>
      <FieldError id={`${id}-error`} error={error} />
    </>
  );
}

/** The clerk filter of a list (managers): "all clerks" ("") or one clerk, deactivated ones too,
 * whose leads still show in the lists. Labelled by the screen, like CampaignSelect. */
export function ClerkFilterSelect({
  id,
  value,
  onChange,
}: {
  id: string;
  value: string;
  onChange: (clerkId: string) => void;
}) {
  const { t } = useI18n();
  const [clerks] = useQuery({ query: ClerksDocument });
  return (
    <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
      <option value="">{t("leads.filter.allClerks")}</option>
      {(clerks.data?.users ?? []).map((clerk) => (
        <option key={clerk.id} value={clerk.id}>
          {clerk.name}
        </option>
      ))}
    </select>
  );
}
