// The campaign filter of the lead overview and the dashboard: "all campaigns" or one of them.
import { useQuery } from "urql";
import { graphql } from "../gql";
import { useI18n } from "../I18n";

// Also the campaign choice of the webhook form (components/WebhookForm.tsx).
export const CampaignOptionsDocument = graphql(`
  query CampaignOptions {
    campaigns(first: 100) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

/** The select alone, so that each screen labels it in its own words; "" is every campaign. */
export function CampaignSelect({
  id,
  value,
  onChange,
}: {
  id: string;
  value: string;
  onChange: (campaignId: string) => void;
}) {
  const { t } = useI18n();
  const [campaigns] = useQuery({ query: CampaignOptionsDocument });
  return (
    <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
      <option value="">{t("leads.filter.allCampaigns")}</option>
      {(campaigns.data?.campaigns.edges ?? []).map(({ node }) => (
        <option key={node.id} value={node.id}>
          {node.name}
        </option>
      ))}
    </select>
  );
}
