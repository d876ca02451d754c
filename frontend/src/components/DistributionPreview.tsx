// What a distribution does or did: per clerk how many leads, then each lead with its clerk and
// the reason, and the leads it skips with theirs. A filter may bring 10,000 leads: the tables
// list the first PREVIEW_ROWS, the summaries count them all.
import { PREVIEW_ROWS, perClerk, reasonsOf } from "../distribution";
import { type ContactNameFragment, leadName, readContactName } from "../format";
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { useI18n } from "../I18n";
import { OptOutBadge } from "./OptOutBadge";

const AssignmentFragment = graphql(`
  fragment DistributionPreview_assignment on Assignment {
    lead {
      id
      contact {
        ...ContactName_contact
      }
    }
    assignee {
      id
      name
    }
    reason
  }
`);

const SkippedFragment = graphql(`
  fragment DistributionPreview_skipped on SkippedLead {
    lead {
      id
      contact {
        ...ContactName_contact
      }
    }
    reason
  }
`);

export interface DistributionResult {
  assignments: readonly FragmentType<typeof AssignmentFragment>[];
  skipped: readonly FragmentType<typeof SkippedFragment>[];
}

/** The result read out: for the notice after the real run. */
export function readDistribution(result: DistributionResult) {
  const assignments = getFragmentData(AssignmentFragment, result.assignments);
  const skipped = getFragmentData(SkippedFragment, result.skipped);
  return {
    assignments,
    skipped,
    perClerk: perClerk(assignments),
    reasons: reasonsOf(skipped),
  };
}

export function DistributionPreview({ result }: { result: DistributionResult }) {
  const { t } = useI18n();
  const { assignments, skipped, perClerk: clerks, reasons } = readDistribution(result);
  return (
    <section className="distribution-preview" aria-labelledby="preview-title">
      <h3 id="preview-title">{t("distribute.previewTitle")}</h3>
      <p role="status">
        {t("distribute.previewSummary", {
          count: assignments.length,
          skipped: skipped.length,
        })}
      </p>
      {clerks.length > 0 && (
        <ul className="per-clerk" aria-label={t("distribute.perClerk")}>
          {clerks.map((clerk) => (
            <li key={clerk.id} data-testid="preview-clerk">
              {t("distribute.clerkCount", {
                name: clerk.name,
                count: clerk.count,
              })}
            </li>
          ))}
        </ul>
      )}
      {assignments.length > 0 && (
        // Scrolls by itself: focusable, so that a keyboard can scroll it too.
        <div
          className="table-scroll preview-table"
          role="region"
          aria-label={t("distribute.assignments")}
          tabIndex={0}
        >
          <table>
            <caption>{t("distribute.assignments")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("distribute.col.lead")}</th>
                <th scope="col">{t("distribute.col.clerk")}</th>
                <th scope="col">{t("distribute.col.reason")}</th>
              </tr>
            </thead>
            <tbody>
              {assignments.slice(0, PREVIEW_ROWS).map((assignment) => (
                <tr key={assignment.lead.id} data-testid="preview-row">
                  <td>
                    <LeadContact contact={assignment.lead.contact} />
                  </td>
                  <td>{assignment.assignee.name}</td>
                  <td>{assignment.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {assignments.length > PREVIEW_ROWS && (
            <p className="hint">
              {t("distribute.more", {
                count: assignments.length - PREVIEW_ROWS,
              })}
            </p>
          )}
        </div>
      )}
      {skipped.length > 0 && (
        // Scrolls by itself: focusable, so that a keyboard can scroll it too.
        <div
          className="table-scroll preview-table"
          role="region"
          aria-label={t("distribute.skipped")}
          tabIndex={0}
        >
          <table>
            <caption>{t("distribute.skipped")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("distribute.col.lead")}</th>
                <th scope="col">{t("distribute.col.reason")}</th>
              </tr>
            </thead>
            <tbody>
              {skipped.slice(0, PREVIEW_ROWS).map((one) => (
                <tr key={one.lead.id} data-testid="preview-skipped">
                  <td>
                    <LeadContact contact={one.lead.contact} />
                  </td>
                  <td>{one.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {skipped.length > PREVIEW_ROWS && (
            <p className="hint">
              {reasons.map((entry) => `${entry.reason} (${entry.count})`).join("; ")}
            </p>
          )}
        </div>
      )}
    </section>
  );
}

/** The lead's name with its contact's marker ("Personendaten gelöscht", "Widerspruch"), so that
 * a manager sees before distributing whom a clerk may no longer call. */
function LeadContact({ contact }: { contact: FragmentType<typeof ContactNameFragment> }) {
  const name = readContactName(contact);
  return (
    <>
      {leadName(name)}
      <OptOutBadge contact={name} />
    </>
  );
}
