// The bell in the header: the unread count on a button whose name says it, and a non-modal
// dialog with the newest notifications (message, age, a link to its lead or opportunity) and
// "Alle als gelesen markieren". Escape or a click outside closes it and the focus returns to
// the bell. `notificationAdded` refetches the count, and the list while it is open.
import { type MouseEvent, useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { readContactName } from "../format";
import { graphql } from "../gql";
import type { BellNotificationsQuery } from "../gql/graphql";
import { useI18n } from "../I18n";
import { useLiveRefetch } from "../live";
import {
  BELL_LIST_SIZE,
  badgeText,
  bellLabel,
  notificationAge,
  notificationHref,
} from "../notifications";
import { navigate } from "../router";
import { OptOutBadge } from "./OptOutBadge";
import "./NotificationBell.css";

const UnreadCountDocument = graphql(`
  query UnreadNotificationCount {
    unreadNotificationCount
  }
`);

const BellNotificationsDocument = graphql(`
  query BellNotifications($first: Int!) {
    notifications(first: $first) {
      edges {
        node {
          id
          kind
          message
          createdAt
          readAt
          lead {
            id
            contact {
              id
              ...ContactName_contact
            }
          }
          opportunity {
            id
            contact {
              id
              ...ContactName_contact
            }
          }
        }
      }
    }
  }
`);

const MarkNotificationsReadDocument = graphql(`
  mutation MarkNotificationsRead($input: MarkNotificationsReadInput!) {
    markNotificationsRead(input: $input) {
      unreadNotificationCount
      userErrors {
        code
        message
      }
    }
  }
`);

const NotificationAddedDocument = graphql(`
  subscription NotificationAdded {
    notificationAdded {
      id
    }
  }
`);

export function NotificationBell() {
  const { t, language } = useI18n();
  const [open, setOpen] = useState(false);
  const [count, refetchCount] = useQuery({
    query: UnreadCountDocument,
    requestPolicy: "cache-and-network",
  });
  const [list, refetchList] = useQuery({
    query: BellNotificationsDocument,
    variables: { first: BELL_LIST_SIZE },
    requestPolicy: "network-only",
    pause: !open,
  });
  const [, markRead] = useMutation(MarkNotificationsReadDocument);
  // The count the last mark-read answered, until the count query has caught up.
  const [markedCount, setMarkedCount] = useState<number | null>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);
  const panelId = useId();
  const titleId = useId();

  useLiveRefetch(NotificationAddedDocument, {}, () => {
    setMarkedCount(null);
    refetchCount({ requestPolicy: "network-only" });
    if (open) refetchList({ requestPolicy: "network-only" });
  });

  const unread = markedCount ?? count.data?.unreadNotificationCount ?? 0;

  function close(returnFocus: boolean) {
    setOpen(false);
    if (returnFocus) buttonRef.current?.focus();
  }

  // Opened: the focus goes into the dialog; Escape and a click outside close it.
  useEffect(() => {
    if (!open) return undefined;
    panelRef.current?.focus();
    function onKey(event: KeyboardEvent) {
      if (event.key === "Escape") close(true);
    }
    function onPointer(event: PointerEvent) {
      const target = event.target as Node;
      if (!panelRef.current?.contains(target) && !buttonRef.current?.contains(target)) {
        close(false);
      }
    }
    document.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", onPointer);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onPointer);
    };
  }, [open]);

  async function mark(input: { ids: string[] } | { all: true }) {
    const result = await markRead({ input });
    const after = result.data?.markNotificationsRead.unreadNotificationCount;
    if (typeof after === "number") setMarkedCount(after);
    refetchCount({ requestPolicy: "network-only" });
    refetchList({ requestPolicy: "network-only" });
  }

  function follow(event: MouseEvent<HTMLAnchorElement>, id: string, wasUnread: boolean) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      if (wasUnread) void mark({ ids: [id] });
      return;
    }
    event.preventDefault();
    if (wasUnread) void mark({ ids: [id] });
    close(false);
    navigate(event.currentTarget.getAttribute("href") ?? "/");
  }

  const badge = badgeText(unread);
  const notifications = list.data?.notifications.edges.map((edge) => edge.node) ?? [];
  return (
    <div className="bell">
      <button
        ref={buttonRef}
        type="button"
        className="bell-button"
        aria-label={bellLabel(t, unread)}
        aria-expanded={open}
        aria-controls={open ? panelId : undefined}
        aria-haspopup="dialog"
        data-testid="bell"
        onClick={() => (open ? close(true) : setOpen(true))}
      >
        <BellIcon />
        {badge && (
          <span className="bell-badge" aria-hidden="true" data-testid="bell-count">
            {badge}
          </span>
        )}
      </button>
      {open && (
        <div
          ref={panelRef}
          id={panelId}
          className="bell-panel"
          role="dialog"
          aria-labelledby={titleId}
          tabIndex={-1}
        >
          <div className="bell-head">
            <h2 id={titleId}>{t("bell.title")}</h2>
            <button type="button" disabled={unread === 0} onClick={() => void mark({ all: true })}>
              {t("bell.markAllRead")}
            </button>
          </div>
          {list.error && <p role="alert">{t("bell.failed")}</p>}
          {!list.data && list.fetching && <p role="status">{t("app.loading")}</p>}
          {list.data && notifications.length === 0 && <p className="empty">{t("bell.empty")}</p>}
          {notifications.length > 0 && (
            <ul className="bell-list" data-testid="bell-list">
              {notifications.map((notification) => {
                const href = notificationHref(notification);
                const unreadOne = !notification.readAt;
                const text = (
                  <>
                    {unreadOne && <span className="visually-hidden">{t("bell.unread")}: </span>}
                    {notification.message}
                  </>
                );
                return (
                  <li key={notification.id} className={unreadOne ? "unread" : undefined}>
                    {href ? (
                      <a
                        href={href}
                        className="bell-message"
                        onClick={(event) => follow(event, notification.id, unreadOne)}
                      >
                        {text}
                      </a>
                    ) : (
                      <p className="bell-message">{text}</p>
                    )}
                    <p className="bell-age">
                      <time dateTime={notification.createdAt}>
                        {notificationAge(t, language, notification.createdAt, new Date())}
                      </time>
                      <NotificationContactMarker notification={notification} />
                    </p>
                  </li>
                );
              })}
            </ul>
          )}
          <button type="button" className="bell-close" onClick={() => close(true)}>
            {t("bell.close")}
          </button>
        </div>
      )}
    </div>
  );
}

function BellIcon() {
  return (
    <svg className="bell-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
      <path
        fill="currentColor"
        d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
      />
    </svg>
  );
}

type BellNotification = NonNullable<
  BellNotificationsQuery["notifications"]["edges"][number]["node"]
>;

/** The marker of the person a notification is about ("Widerspruch", "Personendaten gelöscht"),
 * so that a clerk sees it before following the link to call them. An erased person's
 * notifications read "Personendaten gelöscht" already (the server rewrote them): the German
 * marker would only repeat it. */
function NotificationContactMarker({ notification }: { notification: BellNotification }) {
  const { t } = useI18n();
  const about = notification.lead?.contact ?? notification.opportunity?.contact;
  if (!about) return null;
  const contact = readContactName(about);
  if (contact.erasedAt && notification.message === t("erasure.badge")) return null;
  return <OptOutBadge contact={contact} />;
}
