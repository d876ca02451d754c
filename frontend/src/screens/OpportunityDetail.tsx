// One Verkaufschance: title, contact, owner, stage, value, the lead it came from and its
// history; "Übergeben" for the owner or a manager while it is open.
import { useEffect, useRef, useState } from "react";
import { useQuery } from "urql";
import { HandOverForm } from "../components/HandOverForm";
import { OpportunityHistory } from "../components/OpportunityHistory";
import { Link } from "../components/Link";
import { contactName, readContactName } from "../format";
import { graphql } from "../gql";
import { DetailFallback, isRefused } from "../components/DetailFallback";
import { useI18n } from "../I18n";
import { formatDateTime, formatMoney } from "../leadDetail";
import { readOpportunityFacts } from "../opportunityFacts";
import { leadPath } from "../routes";
import { type Viewer, isManager } from "../viewer";

const OpportunityDetailDocument = graphql(`
  query OpportunityDetail($id: ID!) {
    opportunity(id: $id) {
      id
      ...OpportunityFacts_opportunity
      lead {
        id
      }
      ...OpportunityHistory_opportunity
    }
  }
`);

export function OpportunityDetail({
  viewer,
  opportunityId,
}: {
  viewer: Viewer;
  opportunityId: string;
}) {
  const { t, language } = useI18n();
  const [{ data, error, fetching }] = useQuery({
    query: OpportunityDetailDocument,
    variables: { id: opportunityId },
    requestPolicy: "cache-and-network",
  });
  const [notice, setNotice] = useState<string | null>(null);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  // A clerk handing over their own Verkaufschance loses the form and the focus with it: the
  // focus goes to the outcome, so that a keyboard user goes on from here.
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);
  const back = (
    <p>
      <Link href="/opportunities">← {t("opp.back")}</Link>
    </p>
  );

  if (!data || isRefused(error)) {
    return (
      <DetailFallback
        prefix="opp"
        titleId="opportunity-detail-title"
        back={back}
        error={error}
        fetching={fetching}
      />
    );
  }

  const opportunity = data.opportunity;
  const facts = readOpportunityFacts(opportunity);
  const contact = readContactName(facts.contact);
  const manages = isManager(viewer);
  const isOpen = facts.stage !== "WON" && facts.stage !== "LOST";
  const mayHandOver = isOpen && (manages || facts.owner.id === viewer.id);
  const none = t("lead.none");

  return (
    <article aria-labelledby="opportunity-detail-title" className="lead-detail">
      {back}
      <h1 id="opportunity-detail-title">
        {facts.title}
        <span className="subtitle">{t("opportunity.title")}</span>
      </h1>
      <div className="notices" aria-live="polite">
        {notice && (
          <p ref={noticeRef} tabIndex={-1} className="success" role="status">
            {notice}
          </p>
        )}
      </div>
      <div className={mayHandOver ? "detail-grid" : undefined}>
        <section className="card" aria-labelledby="opportunity-facts-title">
          <h2 id="opportunity-facts-title">{t("opp.facts")}</h2>
          <dl className="facts">
            <dt>{t("opp.contact")}</dt>
            <dd>
              {[contactName(contact), contact.company].filter(Boolean).join(", ")}
            </dd>
            <dt>{t("opportunity.owner")}</dt>
            <dd data-testid="opportunity-owner">{facts.owner.name}</dd>
            <dt>{t("opportunity.stage")}</dt>
            <dd>{t(`stage.${facts.stage}`)}</dd>
            <dt>{t("opportunity.value")}</dt>
            <dd>
              {facts.expectedValue
                ? formatMoney(language, facts.expectedValue)
                : none}
            </dd>
            <dt>{t("opp.createdAt")}</dt>
            <dd>{formatDateTime(language, facts.createdAt)}</dd>
            <dt>{t("opp.lead")}</dt>
            <dd>
              {opportunity.lead ? (
                <Link href={leadPath(opportunity.lead.id)}>{t("opp.leadLink")}</Link>
              ) : (
                none
              )}
            </dd>
          </dl>
        </section>
        {mayHandOver && (
          <div className="detail-side">
            <HandOverForm
              opportunityId={opportunity.id}
              ownerId={facts.owner.id}
              onHandedOver={(name) => setNotice(t("handOver.done", { name }))}
            />
          </div>
        )}
      </div>
      <OpportunityHistory opportunity={opportunity} />
    </article>
  );
}
