"""Closed sets of the domain, shared by models, services and the API."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"
    CLERK = "CLERK"
    PARTNER = "PARTNER"


class LeadStatus(StrEnum):
    NEW = "NEW"
    ACTIVE = "ACTIVE"
    DONE = "DONE"


class Outcome(StrEnum):
    SUCCESSFUL = "SUCCESSFUL"
    UNSUCCESSFUL = "UNSUCCESSFUL"


class CloseReason(StrEnum):
    NOT_INTERESTED = "NOT_INTERESTED"
    UNREACHABLE = "UNREACHABLE"
    WRONG_CONTACT_DATA = "WRONG_CONTACT_DATA"
    DUPLICATE = "DUPLICATE"
    OTHER = "OTHER"


class Channel(StrEnum):
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    MEETING = "MEETING"
    LETTER = "LETTER"
    OTHER = "OTHER"


class OpportunityStage(StrEnum):
    """In pipeline order; WON and LOST close the opportunity."""

    OPEN = "OPEN"
    QUALIFIED = "QUALIFIED"
    PROPOSAL = "PROPOSAL"
    NEGOTIATION = "NEGOTIATION"
    WON = "WON"
    LOST = "LOST"


class OpportunityLostReason(StrEnum):
    PRICE = "PRICE"
    COMPETITOR = "COMPETITOR"
    NO_BUDGET = "NO_BUDGET"
    NO_DECISION = "NO_DECISION"
    OTHER = "OTHER"


class ActivityKind(StrEnum):
    CALL = "CALL"
    EMAIL = "EMAIL"
    MEETING = "MEETING"
    TASK = "TASK"


class DueState(StrEnum):
    """Where a lead's or opportunity's next open activity falls, by calendar day in the
    viewer's time zone: before today, today, after today, or nothing scheduled."""

    OVERDUE = "OVERDUE"
    TODAY = "TODAY"
    UPCOMING = "UPCOMING"
    NONE = "NONE"


class LeadEventKind(StrEnum):
    CREATED = "CREATED"
    ASSIGNED = "ASSIGNED"
    REASSIGNED = "REASSIGNED"
    FEEDBACK_RECORDED = "FEEDBACK_RECORDED"
    CLOSED = "CLOSED"
    OPPORTUNITY_CREATED = "OPPORTUNITY_CREATED"
    REOPENED = "REOPENED"
    ACTIVITY_SCHEDULED = "ACTIVITY_SCHEDULED"
    ACTIVITY_RESCHEDULED = "ACTIVITY_RESCHEDULED"
    ACTIVITY_COMPLETED = "ACTIVITY_COMPLETED"


class OpportunityEventKind(StrEnum):
    CREATED = "CREATED"
    HANDED_OVER = "HANDED_OVER"
    STAGE_CHANGED = "STAGE_CHANGED"
    UPDATED = "UPDATED"
    ACTIVITY_SCHEDULED = "ACTIVITY_SCHEDULED"
    ACTIVITY_RESCHEDULED = "ACTIVITY_RESCHEDULED"
    ACTIVITY_COMPLETED = "ACTIVITY_COMPLETED"


class ImportStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class ImportIssueKind(StrEnum):
    REJECTED = "REJECTED"
    DUPLICATE = "DUPLICATE"


class ImportIssueCode(StrEnum):
    """Why an import rejected or skipped a row, for programs and translations (the message is
    English prose). A value refused by the rules of `createLeads` keeps the code those rules
    give it (`leadflow.errors.ErrorCode`), with the field it concerns."""

    # Rejected: a value is missing (lastName), or neither email nor phone is given (field
    # email), is not valid (email, a NUL character), or is too long.
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    # Rejected: the row has more fields than the header (a separator in an unquoted value).
    TOO_MANY_FIELDS = "TOO_MANY_FIELDS"
    # Skipped: the contact already has an open lead in the campaign.
    DUPLICATE = "DUPLICATE"
    # Skipped in a dry run: an earlier row of the file names the same contact.
    DUPLICATE_IN_FILE = "DUPLICATE_IN_FILE"
    # Rejected, its values not kept: the person's data was erased and they are on the
    # suppression list (services/privacy/suppression.py).
    SUPPRESSED = "SUPPRESSED"


class DistributionStrategy(StrEnum):
    """How `distributeLeads` and a campaign's automatic distribution pick the clerk: in turn
    (continuing where the campaign's last run stopped), or the one with the fewest open leads."""

    ROUND_ROBIN = "ROUND_ROBIN"
    LEAST_LOADED = "LEAST_LOADED"


class NotificationKind(StrEnum):
    LEAD_ASSIGNED = "LEAD_ASSIGNED"
    LEAD_REASSIGNED_AWAY = "LEAD_REASSIGNED_AWAY"
    OPPORTUNITY_HANDED_OVER = "OPPORTUNITY_HANDED_OVER"
    ACTIVITY_DUE = "ACTIVITY_DUE"
    LEADS_WAITING = "LEADS_WAITING"
    # A webhook was switched off (410 Gone, or failing for three days): told to its owner.
    WEBHOOK_DISABLED = "WEBHOOK_DISABLED"


class EmailStatus(StrEnum):
    """A notification's e-mail in the durable queue: waiting (or between retries), sent, or
    given up after the last retry."""

    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class WebhookDeliveryStatus(StrEnum):
    """One event on its way to one webhook: still to be sent (first try or between retries),
    accepted by the receiver (2xx), or given up (retries exhausted, or the endpoint answered
    410 Gone or was disabled)."""

    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class SuppressionKind(StrEnum):
    """Which value of an erased person a suppression entry's keyed hash is of."""

    EMAIL = "EMAIL"
    PHONE = "PHONE"
