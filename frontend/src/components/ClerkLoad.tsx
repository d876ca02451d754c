// A clerk as distribution sees them: open leads, the most they take (capacity), and whether they
// are away today ("abwesend bis 12.12."): the distribute dialog and the campaign's distribution.
import { absentUntil, formatShortDay, localToday } from "../distribution";
import { graphql } from "../gql";
import type { DistributionClerksQuery } from "../gql/graphql";
import { useI18n } from "../I18n";

export const DistributionClerksDocument = graphql(`
  query DistributionClerks {
    users(role: CLERK) {
      id
      name
      active
      openLeadCount
      capacity
      absences {
        from
        to
      }
    }
  }
`);

export type DistributionClerk = DistributionClerksQuery["users"][number];

export function ClerkLoad({ clerk }: { clerk: DistributionClerk }) {
  const { t, language } = useI18n();
  const open = clerk.openLeadCount ?? 0;
  const until = absentUntil(clerk.absences, localToday());
  return (
    <>
      <span className="clerk-load">
        {clerk.capacity === null || clerk.capacity === undefined
          ? t("assign.openLeads", { count: open })
          : t("distribute.load", { count: open, capacity: clerk.capacity })}
      </span>
      {until && (
        <span className="clerk-absent">
          {t("distribute.absentUntil", {
            date: formatShortDay(language, until),
          })}
        </span>
      )}
    </>
  );
}
