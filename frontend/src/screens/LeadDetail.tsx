// One lead: contact data, campaign, status, assignee, feedback log, history; feedback and
// "Abschließen" for the assignee or a manager while the lead is ACTIVE. Live (taskEvents): a lead
// taken away or closed by someone else meanwhile says so and disables its forms; other changes
// of it refetch the page.
import { useEffect, useRef, useState } from "react";
import { useQuery } from "urql";
import { ActivityList } from "../components/ActivityList";
import { CloseLeadForm } from "../components/CloseLeadForm";
import { ContactEditForm } from "../components/ContactEditForm";
import { ContactErasure } from "../components/ContactErasure";
import { ContactHistory } from "../components/ContactHistory";
import { ContactOptOut } from "../components/ContactOptOut";
import { FeedbackForm } from "../components/FeedbackForm";
import { LeadHistory } from "../components/LeadHistory";
import { NextLeadLink } from "../components/NextLeadLink";
import { NextStepPanel } from "../components/NextStepPanel";
import { Link } from "../components/Link";
import { OptOutBadge } from "../components/OptOutBadge";
import {
  OpportunitySummary,
  type OpportunitySummaryRef,
} from "../components/OpportunitySummary";
import { ReassignForm } from "../components/ReassignForm";
import { ReopenLeadForm } from "../components/ReopenLeadForm";
import { companyAside, leadName, readContactName } from "../format";
import { graphql } from "../gql";
import type { LeadDetailQuery, Outcome, TaskEventsSubscription } from "../gql/graphql";
import { DetailFallback, isRefused } from "../components/DetailFallback";
import { useI18n } from "../I18n";
import { type LiveNews, liveLeadChange, liveNews } from "../leadDetail";
import { TaskEventsDocument, useLiveSubscription } from "../live";
import "../live.css";
import { contactValues, formatDateTime } from "../leadDetail";
import { usePageTitle } from "../pageTitle";
import { mayLiftOptOut, mayRecordOptOut } from "../optOut";
import { isErased, mayEraseContact } from "../privacy";
import { homePath } from "../routes";
import { useLocation } from "../router";
import { parseTaskList, taskListUrl } from "../taskList";
import { type Viewer, isManager } from "../viewer";

const LeadDetailDocument = graphql(`
  query LeadDetail($id: ID!) {
    lead(id: $id) {
      id
      status
      createdAt
      assignedAt
      closedAt
      outcome
      closeReason
      closeNote
      closedBy {
        id
      }
      contact {
        id
        salutation
        ...ContactName_contact
        email
        phone
        street
        postalCode
        city
        country
        ...ContactHistory_contact
        ...ContactOptOut_contact
        ...ContactErasure_contact
      }
      campaign {
        id
        name
      }
      assignee {
        id
        name
      }
      assignmentReason
      feedback {
        id
        channel
        note
        createdAt
        author {
          id
          name
        }
      }
      ...LeadHistory_lead
      ...NextStepPanel_lead
      ...ActivityList_lead
      opportunity {
        ...OpportunitySummary_opportunity
      }
    }
  }
`);

type Lead = LeadDetailQuery["lead"];

const LIVE_MESSAGES = {
  reassignedAway: "lead.live.reassignedAway",
  closed: "lead.live.closed",
} as const;

// A fieldset only to disable its controls at once: no frame, no spacing of its own.
const LOCK_STYLE = { border: 0, padding: 0, margin: 0, minWidth: 0 } as const;
type Notice = { text: string; opportunity?: OpportunitySummaryRef | null; takesFocus?: boolean };

export function LeadDetail({ viewer, leadId }: { viewer: Viewer; leadId: string }) {
  const { t } = useI18n();
  const [{ data, error, fetching }, refetch] = useQuery({
    query: LeadDetailDocument,
    variables: { id: leadId },
    requestPolicy: "cache-and-network",
  });
  const [notice, setNotice] = useState<Notice | null>(null);
  // What the viewer's task events said about this lead while open here (liveLeadChange).
  const [news, setNews] = useState<LiveNews>({ takenAway: false, closed: false });
  const refresh = () => refetch({ requestPolicy: "network-only" });
  function onTaskEvent({ taskEvents }: TaskEventsSubscription) {
    if (taskEvents.lead.id !== leadId) return;
    setNews((now) => liveNews(now, taskEvents.kind));
    // A lead taken away is no longer readable: the page keeps what it showed.
    if (taskEvents.kind !== "REASSIGNED_AWAY") refresh();
  }
  useLiveSubscription(TaskEventsDocument, {}, { onData: onTaskEvent, onStale: refresh });
  // Each saved feedback asks the next-step panel to plan (or complete and plan) the next step.
  const [planRequests, setPlanRequests] = useState(0);
  const noticeRef = useRef<HTMLDivElement>(null);
  // Closing removes the forms and the focus with them: it goes to the outcome instead, so that a
  // keyboard user goes on from here, not from the top of the page.
  useEffect(() => {
    if (notice?.takesFocus) noticeRef.current?.focus();
  }, [notice]);
  usePageTitle(data && !isRefused(error) ? t("lead.pageTitle", { name: leadName(readContactName(data.lead.contact)) }) : null);
  const { search } = useLocation();
  // A clerk came from the worklist: back to it with its filters and sort (they ride along).
  const worksFromTaskList = viewer.role === "CLERK";
  const backHref = worksFromTaskList
    ? taskListUrl({ ...parseTaskList(search), cursors: [] })
    : homePath(viewer.role);
  const back = (
    <p>
      <Link href={backHref}>← {t("lead.back")}</Link>
    </p>
  );

  if (!data || isRefused(error)) {
    return (
      <DetailFallback
        prefix="lead"
        titleId="lead-title"
        back={back}
        error={error}
        fetching={fetching}
        testId="lead-refused"
      />
    );
  }

  const lead = data.lead;
  const name = readContactName(lead.contact);
  const manages = isManager(viewer);
  const mayWork = lead.status === "ACTIVE" && (manages || lead.assignee?.id === viewer.id);

  const showOpportunity = Boolean(lead.opportunity) && !notice?.opportunity;
  const mayReassign = lead.status === "ACTIVE" && manages;
  const mayReopen = lead.status === "DONE" && manages;
  // The rule of updateContact: managers any contact, a clerk those of their open leads.
  const mayEditContact = manages || (lead.status === "ACTIVE" && lead.assignee?.id === viewer.id);
  const hasSide = lead.status === "ACTIVE" || mayWork || showOpportunity || mayReopen;
  // The close made on this page is no news (its event may even arrive before its answer).
  const liveChange = liveLeadChange(news, lead.status, lead.closedBy?.id ?? null, viewer.id);

  function closed(outcome: Outcome, opportunity: OpportunitySummaryRef | null) {
    setNotice({
      text: t(outcome === "SUCCESSFUL" ? "close.closedSuccessful" : "close.closedUnsuccessful"),
      opportunity,
      takesFocus: true,
    });
  }

  function reopened(assigneeName: string | null) {
    setNotice({
      text: assigneeName
        ? t("reopen.doneActive", { name: assigneeName })
        : t("reopen.doneNew"),
      takesFocus: true,
    });
  }

  return (
    <article aria-labelledby="lead-title" className="lead-detail">
      <div className="lead-nav">
        {back}
        {worksFromTaskList && <NextLeadLink leadId={lead.id} />}
      </div>
      <h1 id="lead-title">
        {leadName(name)}
        {companyAside(name) && <span className="subtitle">{companyAside(name)}</span>}
      </h1>
      {/* Always there, so that the live region exists before its message arrives. */}
      <div className="notices" role="status" data-testid="lead-live">
        {liveChange && <p className="live-warning">{t(LIVE_MESSAGES[liveChange])}</p>}
      </div>
      <div className="notices" aria-live="polite">
        {notice && (
          <div ref={noticeRef} tabIndex={-1} className="success" role="status">
            <p>{notice.text}</p>
            {notice.opportunity && <OpportunitySummary opportunity={notice.opportunity} />}
          </div>
        )}
      </div>
      {/* Disabled as a whole once the lead went elsewhere: its buttons and fields stay visible. */}
      <fieldset
        className={hasSide ? "detail-grid live-lock" : "live-lock"}
        disabled={liveChange !== null}
        style={LOCK_STYLE}
      >
        <LeadFacts
          lead={lead}
          mayEditContact={mayEditContact}
          objection={{
            mayRecord: mayRecordOptOut(viewer, {
              status: lead.status,
              assigneeId: lead.assignee?.id ?? null,
            }),
            mayLift: mayLiftOptOut(viewer),
            onChanged: (optedOut) => {
              setNotice({ text: t(optedOut ? "optOut.recorded" : "optOut.lifted") });
              refresh();
            },
          }}
          rights={{
            mayErase: mayEraseContact(viewer),
            onErased: () => {
              setNotice({ text: t("erasure.done"), takesFocus: true });
              refresh();
            },
          }}
        />
        <div className="detail-side">
          {lead.status === "ACTIVE" && (
            <NextStepPanel
              lead={lead}
              mayWork={mayWork}
              planRequests={planRequests}
              mayOverrideOptOut={mayLiftOptOut(viewer)}
            />
          )}
          {mayWork && (
            <FeedbackForm
              leadId={lead.id}
              onSaved={() => {
                setNotice({ text: t("feedback.saved") });
                setPlanRequests((count) => count + 1);
              }}
            />
          )}
          {mayWork && <CloseLeadForm leadId={lead.id} onClosed={closed} />}
          {mayReassign && (
            <ReassignForm
              leadId={lead.id}
              assigneeId={lead.assignee?.id ?? null}
              onReassigned={(name) => setNotice({ text: t("reassign.done", { name }) })}
            />
          )}
          {mayReopen && <ReopenLeadForm leadId={lead.id} onReopened={reopened} />}
          {showOpportunity && lead.opportunity && (
            <section className="card" aria-labelledby="opportunity-title">
              <h2 id="opportunity-title">{t("opportunity.title")}</h2>
              <OpportunitySummary opportunity={lead.opportunity} />
            </section>
          )}
        </div>
      </fieldset>
      <ContactHistory contact={lead.contact} />
      <ActivityList lead={lead} />
      <FeedbackLog lead={lead} />
      <LeadHistory lead={lead} />
    </article>
  );
}

function LeadFacts({
  lead,
  mayEditContact,
  objection,
  rights,
}: {
  lead: Lead;
  mayEditContact: boolean;
  /** Who may record or lift the contact's objection, and what follows a saved change. */
  objection: { mayRecord: boolean; mayLift: boolean; onChanged: (optedOut: boolean) => void };
  /** Who may export or erase the person's data (DSGVO), and what follows an erasure. */
  rights: { mayErase: boolean; onErased: () => void };
}) {
  const { t, language } = useI18n();
  const { contact } = lead;
  // An erased person has nothing left to edit, and their objection stands for good.
  const erased = isErased(readContactName(contact));
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const editRef = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef(false);
  // Leaving the form (saved or cancelled) puts the focus back on "Bearbeiten", where it began.
  useEffect(() => {
    if (!editing && returnFocus.current) {
      returnFocus.current = false;
      editRef.current?.focus();
    }
  }, [editing]);

  function leaveForm(message: string | null) {
    returnFocus.current = true;
    setSaved(message);
    setEditing(false);
  }

  const header = (
    <div className="card-header">
      <h2 id="facts-title">
        {t("lead.contact")}
        <OptOutBadge contact={readContactName(contact)} />
      </h2>
      {mayEditContact && !erased && !editing && (
        <button
          ref={editRef}
          type="button"
          onClick={() => {
            setSaved(null);
            setEditing(true);
          }}
        >
          {t("contact.edit")}
        </button>
      )}
      {/* In both views, so that the live region exists before its message arrives. */}
      <p className="saved" role="status">
        {saved}
      </p>
    </div>
  );
  if (editing) {
    return (
      <section className="card" aria-labelledby="facts-title">
        {header}
        <ContactEditForm
          contactId={contact.id}
          original={contactValues({ ...contact, ...readContactName(contact) })}
          onSaved={(changed) => leaveForm(t(changed ? "contact.saved" : "contact.unchanged"))}
          onCancel={() => leaveForm(null)}
        />
      </section>
    );
  }
  const address = [contact.street, [contact.postalCode, contact.city].filter(Boolean).join(" "), contact.country]
    .filter(Boolean)
    .join(", ");
  const none = t("lead.none");
  return (
    <section className="card" aria-labelledby="facts-title">
      {header}
      <dl className="facts">
        <dt>{t("lead.phone")}</dt>
        <dd>
          {contact.phone ? (
            <a href={`tel:${contact.phone.replace(/\s+/g, "")}`}>{contact.phone}</a>
          ) : (
            none
          )}
        </dd>
        <dt>{t("lead.email")}</dt>
        <dd>{contact.email ? <a href={`mailto:${contact.email}`}>{contact.email}</a> : none}</dd>
        <dt>{t("lead.address")}</dt>
        <dd>{address || none}</dd>
        <dt>{t("lead.campaign")}</dt>
        <dd>{lead.campaign.name}</dd>
        <dt>{t("lead.status")}</dt>
        <dd>
          <span className={`status status-${lead.status.toLowerCase()}`} data-testid="lead-status">
            {t(`status.${lead.status}`)}
            {lead.outcome && ` · ${t(`outcome.${lead.outcome}`)}`}
          </span>
        </dd>
        <dt>{t("lead.assignee")}</dt>
        <dd>
          <span data-testid="lead-assignee">{lead.assignee?.name ?? none}</span>
          {lead.assignmentReason && (
            <span className="hint assignment-reason" data-testid="lead-assignment-reason">
              {" · "}
              {t("lead.assignmentReason", { reason: lead.assignmentReason })}
            </span>
          )}
        </dd>
        <dt>{t("lead.createdAt")}</dt>
        <dd>{formatDateTime(language, lead.createdAt)}</dd>
        {lead.assignedAt && (
          <>
            <dt>{t("lead.assignedAt")}</dt>
            <dd>{formatDateTime(language, lead.assignedAt)}</dd>
          </>
        )}
        {lead.closedAt && (
          <>
            <dt>{t("lead.closedAt")}</dt>
            <dd>{formatDateTime(language, lead.closedAt)}</dd>
          </>
        )}
        {lead.closeReason && (
          <>
            <dt>{t("lead.closeReason")}</dt>
            <dd>{t(`reason.${lead.closeReason}`)}</dd>
          </>
        )}
        {lead.closeNote && (
          <>
            <dt>{t("lead.closeNote")}</dt>
            <dd>{lead.closeNote}</dd>
          </>
        )}
      </dl>
      {!erased && (
        <ContactOptOut
          contact={contact}
          mayRecord={objection.mayRecord}
          mayLift={objection.mayLift}
          onChanged={objection.onChanged}
        />
      )}
      <ContactErasure
        contact={contact}
        mayErase={rights.mayErase}
        onErased={rights.onErased}
      />
    </section>
  );
}

function FeedbackLog({ lead }: { lead: Lead }) {
  const { t, language } = useI18n();
  return (
    <section className="card" aria-labelledby="feedback-log-title">
      <h2 id="feedback-log-title">{t("lead.feedbackLog")}</h2>
      {lead.feedback.length === 0 ? (
        <p className="empty">{t("lead.feedbackEmpty")}</p>
      ) : (
        <ol className="log" data-testid="feedback-log">
          {lead.feedback.map((entry) => (
            <li key={entry.id}>
              <p className="meta">
                {t("lead.feedbackBy", {
                  channel: t(`channel.${entry.channel}`),
                  name: entry.author.name,
                  at: formatDateTime(language, entry.createdAt),
                })}
              </p>
              <p>{entry.note}</p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
