// One Verkaufschance: title, contact, owner, stage, value, expected close date, the lead it came
// from and its history; for the owner or a manager "Stand ändern" (WON asks for confirmation, LOST
// for the reason), "Bearbeiten" (title, value, close date) and, while open, "Übergeben".
import { useEffect, useRef, useState } from "react";
import { useQuery } from "urql";
import { DetailFallback, isRefused } from "../components/DetailFallback";
import { HandOverForm } from "../components/HandOverForm";
import { Link } from "../components/Link";
import {
  MoveOpportunityMenu,
  MoveOutcomeNotice,
  useOpportunityMove,
} from "../components/MoveOpportunityMenu";
import { OpportunityEditForm } from "../components/OpportunityEditForm";
import { OpportunityHistory } from "../components/OpportunityHistory";
import { contactName, readContactName } from "../format";
import { graphql } from "../gql";
import { useI18n } from "../I18n";
import { formatDateTime, formatMoney } from "../leadDetail";
import { readOpportunityFacts } from "../opportunityFacts";
import { usePageTitle } from "../pageTitle";
import { formatCloseDate, isClosedStage, moveTargets } from "../pipeline";
import { leadPath } from "../routes";
import { type Viewer, isManager } from "../viewer";
import { OptOutBadge } from "../components/OptOutBadge";

const OpportunityDetailDocument = graphql(`
  query OpportunityDetail($id: ID!) {
    opportunity(id: $id) {
      id
      ...OpportunityFacts_opportunity
      closedAt
      lostReason
      lead {
        id
      }
      ...OpportunityEditForm_opportunity
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
  const [{ data, error, fetching }, refetch] = useQuery({
    query: OpportunityDetailDocument,
    variables: { id: opportunityId },
    requestPolicy: "cache-and-network",
  });
  // A new object per notice: saving twice says it (and takes the focus) twice.
  const [notice, setNotice] = useState<{ text: string } | null>(null);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  // A refused move: the page shows what the server has now.
  const move = useOpportunityMove(() => refetch({ requestPolicy: "network-only" }));
  // A clerk handing over their own Verkaufschance loses the form and the focus with it: the
  // focus goes to the outcome, so that a keyboard user goes on from here.
  const { clear: clearMoveOutcome } = move;
  useEffect(() => {
    if (!notice) return;
    clearMoveOutcome(); // one message at a time: the latest
    noticeRef.current?.focus();
  }, [notice, clearMoveOutcome]);
  usePageTitle(
    data && !isRefused(error)
      ? t("opportunity.pageTitle", { title: readOpportunityFacts(data.opportunity).title })
      : null,
  );
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
  const mayChange = manages || facts.owner.id === viewer.id;
  const mayHandOver = mayChange && !isClosedStage(facts.stage);
  const targets = moveTargets(facts.stage, { manages, owns: facts.owner.id === viewer.id });
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
            {notice.text}
          </p>
        )}
      </div>
      <MoveOutcomeNotice outcome={move.outcome} />
      <div className={mayChange ? "detail-grid" : undefined}>
        <section className="card" aria-labelledby="opportunity-facts-title">
          <h2 id="opportunity-facts-title">{t("opp.facts")}</h2>
          <dl className="facts">
            <dt>{t("opp.contact")}</dt>
            <dd>
              {[contactName(contact), contact.company].filter(Boolean).join(", ")}
              <OptOutBadge contact={contact} />
            </dd>
            <dt>{t("opportunity.owner")}</dt>
            <dd data-testid="opportunity-owner">{facts.owner.name}</dd>
            <dt>{t("opportunity.stage")}</dt>
            <dd data-testid="opportunity-stage">
              {t(`stage.${facts.stage}`)}
              {opportunity.lostReason &&
                ` (${t(`lostReason.${opportunity.lostReason}`)})`}
            </dd>
            <dt>{t("opportunity.value")}</dt>
            <dd data-testid="opportunity-value">
              {facts.expectedValue ? formatMoney(language, facts.expectedValue) : none}
            </dd>
            <dt>{t("opp.closeDate")}</dt>
            <dd data-testid="opportunity-close-date">
              {facts.expectedCloseDate ? formatCloseDate(language, facts.expectedCloseDate) : none}
            </dd>
            {opportunity.closedAt && (
              <>
                <dt>{t("opp.closedAt")}</dt>
                <dd>{formatDateTime(language, opportunity.closedAt)}</dd>
              </>
            )}
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
        {mayChange && (
          <div className="detail-side">
            {targets.length > 0 && (
              <section className="card" aria-labelledby="opportunity-move-title">
                <h2 id="opportunity-move-title">{t("opp.move")}</h2>
                <MoveOpportunityMenu
                  id="opportunity-move"
                  title={facts.title}
                  label={t("opp.moveLabel")}
                  alwaysOpen
                  targets={targets}
                  disabled={move.busy}
                  onChoose={(target) => {
                    setNotice(null);
                    move.request({ id: opportunity.id, title: facts.title, target });
                  }}
                />
              </section>
            )}
            <OpportunityEditForm
              // A saved edit comes back from the server: the form starts from it again.
              key={`${facts.title}|${facts.expectedValue}|${facts.expectedCloseDate}`}
              opportunity={opportunity}
              onSaved={(changed) =>
                setNotice({ text: t(changed ? "oppEdit.saved" : "oppEdit.unchanged") })
              }
            />
            {mayHandOver && (
              <HandOverForm
                opportunityId={opportunity.id}
                ownerId={facts.owner.id}
                onHandedOver={(name) => setNotice({ text: t("handOver.done", { name }) })}
              />
            )}
          </div>
        )}
      </div>
      <OpportunityHistory opportunity={opportunity} />
      {move.dialog}
    </article>
  );
}
