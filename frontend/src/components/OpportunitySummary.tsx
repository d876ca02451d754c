// The short facts of a Verkaufschance on its lead's page: shown for the lead's opportunity and
// for the one that closing the lead just created, both read through this fragment.
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { useI18n } from "../I18n";
import { formatMoney } from "../leadDetail";
import { opportunityPath } from "../routes";
import { Link } from "./Link";

export const OpportunitySummaryFragment = graphql(`
  fragment OpportunitySummary_opportunity on Opportunity {
    id
    title
    expectedValue
    owner {
      id
      name
    }
  }
`);

export type OpportunitySummaryRef = FragmentType<typeof OpportunitySummaryFragment>;

export function OpportunitySummary({ opportunity }: { opportunity: OpportunitySummaryRef }) {
  const { t, language } = useI18n();
  const summary = getFragmentData(OpportunitySummaryFragment, opportunity);
  return (
    <dl className="facts" data-testid="opportunity">
      <dt>{t("opportunity.title")}</dt>
      <dd>
        <Link href={opportunityPath(summary.id)}>{summary.title}</Link>
      </dd>
      <dt>{t("opportunity.owner")}</dt>
      <dd>{summary.owner.name}</dd>
      {summary.expectedValue && (
        <>
          <dt>{t("opportunity.value")}</dt>
          <dd>{formatMoney(language, summary.expectedValue)}</dd>
        </>
      )}
    </dl>
  );
}
