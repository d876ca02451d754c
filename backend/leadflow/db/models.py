"""Tortoise models: the persistent shape of the domain. No rules live here, only structure."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import PartialIndex
from tortoise.models import Model

from leadflow.db.enums import (
    ActivityKind,
    Channel,
    CloseReason,
    DistributionStrategy,
    EmailStatus,
    ImportIssueCode,
    ImportIssueKind,
    ImportStatus,
    LeadEventKind,
    LeadStatus,
    NotificationKind,
    OpportunityEventKind,
    OpportunityLostReason,
    OpportunityStage,
    Outcome,
    Role,
    SuppressionKind,
    WebhookDeliveryStatus,
)
from leadflow.db.lead_status import lead_status

# Lengths are shared with the services' validation so a too-long value is a user error,
# never a database error.
NAME_MAX = 200
EMAIL_MAX = 254
SHORT_MAX = 100
NOTE_MAX = 5000
TEXT_MAX = 2000
ASSIGNMENT_REASON_MAX = 300
WEBHOOK_URL_MAX = 2000
WEBHOOK_ERROR_MAX = 500


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=EMAIL_MAX, unique=True)  # stored lower-case
    name = fields.CharField(max_length=NAME_MAX)
    role = fields.CharEnumField(Role, max_length=16)
    active = fields.BooleanField(default=True)
    password_hash = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Distribution: the most open leads this clerk should hold (NULL: no limit).
    capacity = fields.IntField(null=True)
    # Notifications are also sent by e-mail when LEADFLOW_SMTP_URL is set, unless opted out.
    email_notifications = fields.BooleanField(default=True)

    class Meta:
        table = "users"


class Absence(Model):
    """Days (inclusive, in the company's calendar) on which a clerk gets no new leads."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="absences", on_delete=fields.CASCADE
    )
    starts_on = fields.DateField()
    ends_on = fields.DateField()

    user_id: int

    class Meta:
        table = "absences"
        indexes = (("user_id", "ends_on"),)


class ApiToken(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=SHORT_MAX, default="")
    # SHA-256 of the secret: the secret itself is shown once and never stored.
    digest = fields.CharField(max_length=64, unique=True)
    read_only = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "api_tokens"


class Campaign(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=NAME_MAX, unique=True)
    description = fields.TextField(default="")
    starts_on = fields.DateField(null=True)
    ends_on = fields.DateField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # How long an open lead may wait (for its first assignment, or for the clerk's next
    # feedback) before the clerk, and for NEW leads the managers, are notified (NULL: never).
    waiting_limit_hours = fields.IntField(null=True)
    # Retention (DSGVO storage limitation): a contact whose every lead closed unsuccessful more
    # than this many days ago, with no opportunity, is erased (services/privacy/retention.py).
    # NULL: LEADFLOW_RETENTION_DAYS_UNSUCCESSFUL applies.
    retention_days = fields.IntField(null=True)

    class Meta:
        table = "campaigns"


class CampaignDistribution(Model):
    """A campaign's distribution: the clerks and strategy of its automatic distribution, and
    the round-robin pointer every run for the campaign continues from (manual runs too, so the
    row exists for a campaign that was only ever distributed by hand, with automatic False)."""

    id = fields.IntField(primary_key=True)
    campaign: fields.OneToOneRelation[Campaign] = fields.OneToOneField(
        "models.Campaign", related_name="distribution", on_delete=fields.CASCADE
    )
    strategy = fields.CharEnumField(
        DistributionStrategy, max_length=16, default=DistributionStrategy.LEAST_LOADED
    )
    automatic = fields.BooleanField(default=False)
    # User ids in the manager's order; ROUND_ROBIN walks them in ascending id order.
    clerk_ids: fields.JSONField[list[int]] = fields.JSONField(default=list)
    # ROUND_ROBIN: the clerk who got the campaign's last lead; the next run starts after them.
    last_clerk_id = fields.IntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    campaign_id: int

    class Meta:
        table = "campaign_distributions"


class Contact(Model):
    id = fields.IntField(primary_key=True)
    salutation = fields.CharField(max_length=SHORT_MAX, default="")
    first_name = fields.CharField(max_length=NAME_MAX, default="")
    last_name = fields.CharField(max_length=NAME_MAX)
    company = fields.CharField(max_length=NAME_MAX, default="")
    email = fields.CharField(max_length=EMAIL_MAX, null=True)
    # Lower-cased email; unique so that concurrent intakes cannot create the same contact twice.
    email_key = fields.CharField(max_length=EMAIL_MAX, null=True, unique=True)
    phone = fields.CharField(max_length=SHORT_MAX, default="")
    # The phone's digits: how a contact without an email is recognised again (with its name).
    phone_key = fields.CharField(max_length=SHORT_MAX, default="", db_index=True)
    street = fields.CharField(max_length=NAME_MAX, default="")
    postal_code = fields.CharField(max_length=SHORT_MAX // 5, default="")
    city = fields.CharField(max_length=NAME_MAX, default="")
    country = fields.CharField(max_length=SHORT_MAX, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    # Consent (DSGVO): the person objected to being contacted. Open leads get no new CALL or
    # EMAIL steps without a manager's override. When and why it was last set or lifted.
    opted_out = fields.BooleanField(default=False, db_default=False)
    opted_out_at = fields.DatetimeField(null=True)
    opted_out_note = fields.CharField(max_length=TEXT_MAX, default="", db_default="")
    # Erasure (DSGVO Art. 17, services/privacy/erasure.py): when the person's data was removed.
    # The row stays as a tombstone, so its leads, opportunities and every figure stay.
    erased_at = fields.DatetimeField(null=True)

    class Meta:
        table = "contacts"


class Lead(Model):
    id = fields.IntField(primary_key=True)
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="leads", db_index=True, on_delete=fields.RESTRICT
    )
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="leads", on_delete=fields.RESTRICT
    )
    assignee: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="assigned_leads", null=True, on_delete=fields.RESTRICT
    )
    assigned_at = fields.DatetimeField(null=True)
    # Reports read a lead's firsts here instead of searching lead_events and feedback.
    # assign_leads sets first_assigned_at (a reassignment keeps it), record_feedback sets
    # first_feedback_at once.
    first_assigned_at = fields.DatetimeField(null=True)
    first_feedback_at = fields.DatetimeField(null=True)
    # When the lead's current wait started: the later of its current assignment and its latest
    # feedback (assign_leads and reassign_lead set it to assigned_at, record_feedback moves it
    # forward only). NULL for NEW leads.
    waiting_since = fields.DatetimeField(null=True)
    # The due time of the lead's earliest open activity, NULL when nothing is scheduled.
    # Written only by `leadflow.services.activities` in the transaction that changes an
    # activity, so task lists sort and filter by due state in one indexed query.
    next_due_at = fields.DatetimeField(null=True)
    # Why the current clerk got the lead, in the words shown to users ("manuell zugewiesen",
    # "Anna: 12 von 20 offen, am wenigsten ausgelastet", "übertragen von Ben"). NULL when NEW.
    assignment_reason = fields.CharField(max_length=ASSIGNMENT_REASON_MAX, null=True)
    outcome = fields.CharEnumField(Outcome, max_length=16, null=True)
    close_reason = fields.CharEnumField(CloseReason, max_length=32, null=True)
    close_note = fields.TextField(default="")
    closed_at = fields.DatetimeField(null=True)
    closed_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="closed_leads", null=True, on_delete=fields.RESTRICT
    )
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="created_leads", null=True, on_delete=fields.RESTRICT
    )
    # Where the lead came from (Art. 15 asks for the source): the import that created it; NULL
    # for leads entered by hand or by a partner (created_by says who).
    lead_import: fields.ForeignKeyNullableRelation[LeadImport] = fields.ForeignKeyField(
        "models.LeadImport", related_name="leads", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True, index=True)

    contact_id: int
    campaign_id: int
    assignee_id: int | None
    closed_by_id: int | None
    created_by_id: int | None
    lead_import_id: int | None

    class Meta:
        table = "leads"
        # One campaign's intake. The lists' indexes (0012, 0020) and the partial ones for
        # closes and first answers by period (0024: only the rows that have the date) are the
        # migrations', written in SQL: Tortoise's partial indexes know only `column = value`.
        indexes = (("campaign_id", "created_at"),)

    @property
    def status(self) -> LeadStatus:
        """Derived, never stored (`leadflow.db.lead_status`)."""
        return lead_status(self.closed_at, self.assignee_id)


class Feedback(Model):
    id = fields.IntField(primary_key=True)
    lead: fields.ForeignKeyRelation[Lead] = fields.ForeignKeyField(
        "models.Lead", related_name="feedback", db_index=True, on_delete=fields.CASCADE
    )
    author: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="feedback", on_delete=fields.RESTRICT
    )
    channel = fields.CharEnumField(Channel, max_length=16)
    note = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    lead_id: int
    author_id: int

    class Meta:
        table = "feedback"
        # First and latest feedback per lead, and feedback in a period (reports).
        indexes = (("lead_id", "created_at"), ("created_at",))


class Opportunity(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=NAME_MAX)
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="opportunities", db_index=True, on_delete=fields.RESTRICT
    )
    lead: fields.ForeignKeyNullableRelation[Lead] = fields.ForeignKeyField(
        "models.Lead",
        related_name="opportunities",
        db_index=True,
        null=True,
        on_delete=fields.RESTRICT,
    )
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="opportunities", db_index=True, on_delete=fields.RESTRICT
    )
    stage = fields.CharEnumField(OpportunityStage, max_length=16, default=OpportunityStage.OPEN)
    expected_value = fields.DecimalField(max_digits=14, decimal_places=2, null=True)
    expected_close_date = fields.DateField(null=True)
    # Set when the stage becomes WON or LOST, cleared when a manager moves it back.
    closed_at = fields.DatetimeField(null=True)
    lost_reason = fields.CharEnumField(OpportunityLostReason, max_length=16, null=True)
    # As Lead.next_due_at: the earliest open activity's due time, kept by the activities service.
    next_due_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    contact_id: int
    lead_id: int | None
    owner_id: int

    class Meta:
        table = "opportunities"


class LeadEvent(Model):
    """Append-only: rows are inserted, never updated or deleted."""

    id = fields.IntField(primary_key=True)
    lead: fields.ForeignKeyRelation[Lead] = fields.ForeignKeyField(
        "models.Lead", related_name="events", db_index=True, on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(LeadEventKind, max_length=32)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="lead_events", null=True, on_delete=fields.RESTRICT
    )
    # The clerk the lead went to (ASSIGNED, REASSIGNED) and the one it came from (REASSIGNED).
    assignee: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="lead_events_as_assignee", null=True, on_delete=fields.RESTRICT
    )
    previous_assignee: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name="lead_events_as_previous_assignee",
        null=True,
        on_delete=fields.RESTRICT,
    )
    outcome = fields.CharEnumField(Outcome, max_length=16, null=True)
    close_reason = fields.CharEnumField(CloseReason, max_length=32, null=True)
    note = fields.TextField(default="")
    opportunity: fields.ForeignKeyNullableRelation[Opportunity] = fields.ForeignKeyField(
        "models.Opportunity", related_name="lead_events", null=True, on_delete=fields.RESTRICT
    )
    # ACTIVITY_*: the activity scheduled, moved or completed.
    activity: fields.ForeignKeyNullableRelation[Activity] = fields.ForeignKeyField(
        "models.Activity", related_name="lead_events", null=True, on_delete=fields.RESTRICT
    )
    at = fields.DatetimeField(auto_now_add=True)

    lead_id: int
    actor_id: int | None
    assignee_id: int | None
    previous_assignee_id: int | None
    opportunity_id: int | None
    activity_id: int | None

    class Meta:
        table = "lead_events"
        # The first assignment of each lead (reports).
        indexes = (("lead_id", "kind", "at"),)


class OpportunityEvent(Model):
    """Append-only: rows are inserted, never updated or deleted."""

    id = fields.IntField(primary_key=True)
    opportunity: fields.ForeignKeyRelation[Opportunity] = fields.ForeignKeyField(
        "models.Opportunity", related_name="events", db_index=True, on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(OpportunityEventKind, max_length=32)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="opportunity_events", null=True, on_delete=fields.RESTRICT
    )
    owner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name="opportunity_events_as_owner",
        null=True,
        on_delete=fields.RESTRICT,
    )
    previous_owner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name="opportunity_events_as_previous_owner",
        null=True,
        on_delete=fields.RESTRICT,
    )
    # STAGE_CHANGED: the stage it moved to and the one it left.
    stage = fields.CharEnumField(OpportunityStage, max_length=16, null=True)
    previous_stage = fields.CharEnumField(OpportunityStage, max_length=16, null=True)
    note = fields.TextField(default="")
    # ACTIVITY_*: the activity scheduled, moved or completed.
    activity: fields.ForeignKeyNullableRelation[Activity] = fields.ForeignKeyField(
        "models.Activity", related_name="opportunity_events", null=True, on_delete=fields.RESTRICT
    )
    at = fields.DatetimeField(auto_now_add=True)

    opportunity_id: int
    actor_id: int | None
    owner_id: int | None
    previous_owner_id: int | None
    activity_id: int | None

    class Meta:
        table = "opportunity_events"


class Activity(Model):
    """A planned next step (call, email, meeting, task) on a lead or an opportunity.

    Exactly one of lead and opportunity is set. Open while done_at is NULL."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(ActivityKind, max_length=16)
    due_at = fields.DatetimeField()
    note = fields.TextField(default="")
    assignee: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="activities", on_delete=fields.RESTRICT
    )
    lead: fields.ForeignKeyNullableRelation[Lead] = fields.ForeignKeyField(
        "models.Lead", related_name="activities", null=True, on_delete=fields.CASCADE
    )
    opportunity: fields.ForeignKeyNullableRelation[Opportunity] = fields.ForeignKeyField(
        "models.Opportunity", related_name="activities", null=True, on_delete=fields.CASCADE
    )
    created_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="created_activities", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    done_at = fields.DatetimeField(null=True)
    done_note = fields.TextField(default="")
    done_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="completed_activities", null=True, on_delete=fields.RESTRICT
    )

    assignee_id: int
    lead_id: int | None
    opportunity_id: int | None
    created_by_id: int
    done_by_id: int | None

    class Meta:
        table = "activities"
        # A subject's open activities by due time (next_due_at, Lead.activities), a user's.
        indexes = (
            ("lead_id", "done_at", "due_at"),
            ("opportunity_id", "done_at", "due_at"),
            ("assignee_id", "done_at", "due_at"),
        )


class ContactChange(Model):
    """Append-only: one changed field of a contact, with its old and new value."""

    id = fields.IntField(primary_key=True)
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="changes", db_index=True, on_delete=fields.CASCADE
    )
    # The updateContact input's field name (firstName, phone, ...).
    field = fields.CharField(max_length=32)
    old_value = fields.TextField(null=True)
    new_value = fields.TextField(null=True)
    actor: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="contact_changes", on_delete=fields.RESTRICT
    )
    at = fields.DatetimeField(auto_now_add=True)

    contact_id: int
    actor_id: int

    class Meta:
        table = "contact_changes"


class PartnerCampaign(Model):
    """Which campaigns a partner may feed leads into and read figures of."""

    id = fields.IntField(primary_key=True)
    partner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="partner_links", on_delete=fields.CASCADE
    )
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="partner_links", on_delete=fields.CASCADE
    )

    partner_id: int
    campaign_id: int

    class Meta:
        table = "partner_campaigns"
        unique_together = (("partner", "campaign"),)


class LoginSession(Model):
    """A browser login. The cookie holds a random secret, only its SHA-256 is stored."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    digest = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    address = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=300, default="")

    user_id: int

    class Meta:
        table = "login_sessions"


class LoginFailure(Model):
    """Failed logins, counted per account and per address to slow down guessing."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=EMAIL_MAX, db_index=True)
    address = fields.CharField(max_length=64, db_index=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "login_failures"


class LeadImport(Model):
    """One import of a lead file: who, when, which file, how far it got and what it found.
    Progress is committed with each batch, so an interrupted import can be resumed."""

    id = fields.IntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="imports", db_index=True, on_delete=fields.RESTRICT
    )
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="imports", null=True, on_delete=fields.RESTRICT
    )
    file_name = fields.CharField(max_length=NAME_MAX)
    # SHA-256 of the file's bytes: the same file for the same campaign resumes, never repeats.
    file_digest = fields.CharField(max_length=64, db_index=True)
    status = fields.CharEnumField(ImportStatus, max_length=16, default=ImportStatus.RUNNING)
    # Who is working on it ("host:pid") and when it last committed a batch.
    worker = fields.CharField(max_length=SHORT_MAX, default="")
    heartbeat_at = fields.DatetimeField(null=True)
    rows_total = fields.IntField(null=True)
    rows_processed = fields.IntField(default=0)
    # The file's row number up to which every row is committed (the header is row 1).
    last_row_number = fields.IntField(default=1)
    leads_created = fields.IntField(default=0)
    contacts_reused = fields.IntField(default=0)
    duplicates_skipped = fields.IntField(default=0)
    rows_rejected = fields.IntField(default=0)
    empty_rows = fields.IntField(default=0)
    unknown_columns: fields.JSONField[list[str]] = fields.JSONField(default=list)
    # How the file was read, to write its rejected rows back in the same shape.
    header: fields.JSONField[list[str]] = fields.JSONField(default=list)
    separator = fields.CharField(max_length=1, default=",")
    failure = fields.TextField(default="")
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    campaign_id: int
    created_by_id: int | None

    class Meta:
        table = "lead_imports"


class ImportSource(Model):
    """The uploaded file of a web import and its column mapping, kept in the database while
    the import runs, so that any app instance can resume it when the one running it dies.
    Deleted when the import completes or fails."""

    id = fields.IntField(primary_key=True)
    lead_import: fields.OneToOneRelation[LeadImport] = fields.OneToOneField(
        "models.LeadImport", related_name="source", on_delete=fields.CASCADE
    )
    content = fields.BinaryField()
    mapping: fields.JSONField[dict[str, str]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    lead_import_id: int

    class Meta:
        table = "import_sources"


class ImportIssue(Model):
    """A row an import rejected (with the field and reason) or skipped as a duplicate. Rejected
    rows keep their values so they can be downloaded, fixed and imported again. The code says
    why for programs and translations, the message says it in English."""

    id = fields.IntField(primary_key=True)
    lead_import: fields.ForeignKeyRelation[LeadImport] = fields.ForeignKeyField(
        "models.LeadImport", related_name="issues", db_index=True, on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(ImportIssueKind, max_length=16)
    row_number = fields.IntField()
    field = fields.CharField(max_length=SHORT_MAX, default="")
    # The database default only served the rows recorded before codes existed (migration 0007
    # then derived theirs from kind and message). The import always sets the code.
    code = fields.CharEnumField(ImportIssueCode, max_length=32, db_default=ImportIssueCode.INVALID)
    message = fields.TextField()
    values: fields.JSONField[list[str]] = fields.JSONField(default=list)

    lead_import_id: int

    class Meta:
        table = "import_issues"


class Notification(Model):
    """Something a user should know, written in the transaction of what it announces."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="notifications", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(NotificationKind, max_length=32)
    message = fields.TextField()
    lead: fields.ForeignKeyNullableRelation[Lead] = fields.ForeignKeyField(
        "models.Lead", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    opportunity: fields.ForeignKeyNullableRelation[Opportunity] = fields.ForeignKeyField(
        "models.Opportunity", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    activity: fields.ForeignKeyNullableRelation[Activity] = fields.ForeignKeyField(
        "models.Activity", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    read_at = fields.DatetimeField(null=True)
    # What makes a scheduled notification unique ("activity-due:17"), so that it is sent once
    # even when two instances' jobs race; NULL for the others.
    once_key = fields.CharField(max_length=100, null=True, unique=True)

    user_id: int
    lead_id: int | None
    opportunity_id: int | None
    activity_id: int | None

    class Meta:
        table = "notifications"
        # A user's notifications newest first, the unread ones.
        indexes = (("user_id", "id"), ("user_id", "read_at"))


class NotificationEmail(Model):
    """The durable queue of notification e-mails: one row per notification to be mailed,
    inserted with it, sent after commit by whichever instance claims it (locked_until), at
    most once (status moves PENDING to SENT with a compare-and-set)."""

    id = fields.IntField(primary_key=True)
    notification: fields.OneToOneRelation[Notification] = fields.OneToOneField(
        "models.Notification", related_name="email", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(EmailStatus, max_length=16, default=EmailStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    locked_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    notification_id: int

    class Meta:
        table = "notification_emails"
        indexes = (("status", "next_attempt_at"),)


class OutboxEvent(Model):
    """The event outbox: every change that live updates (and later webhooks) announce, written
    in the transaction of the change. Readers go by id; PostgreSQL NOTIFY only wakes them."""

    id = fields.BigIntField(primary_key=True)
    # "lead.assigned", "lead.reassigned", "lead.closed", "lead.changed", "notification.added", ...
    topic = fields.CharField(max_length=64)
    # Plain ids, no foreign keys: an event outlives nothing and blocks no deletion.
    lead_id = fields.IntField(null=True)
    opportunity_id = fields.IntField(null=True)
    campaign_id = fields.IntField(null=True)
    # The users whose own lists the event changes (the clerk a lead went to and came from).
    user_ids: fields.JSONField[list[int]] = fields.JSONField(default=list)
    payload: fields.JSONField[dict[str, object]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True, index=True)

    class Meta:
        table = "outbox_events"


class Webhook(Model):
    """An endpoint that is sent the events it subscribed to (services/webhooks). Its owner is
    who created it: a partner's webhook carries only what that partner may read."""

    id = fields.IntField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="webhooks", on_delete=fields.CASCADE
    )
    url = fields.CharField(max_length=WEBHOOK_URL_MAX)
    description = fields.CharField(max_length=TEXT_MAX, default="")
    # Event types ("lead.assigned", ...), at least one.
    events: fields.JSONField[list[str]] = fields.JSONField(default=list)
    # Only events of leads in these campaigns; NULL: every campaign the owner may see.
    campaign_ids: fields.JSONField[list[int] | None] = fields.JSONField(null=True)
    # "whsec_" + base64: the Standard Webhooks signing secret. After a rotation the previous
    # one still signs (a second signature) until previous_secret_expires_at.
    secret = fields.CharField(max_length=100)
    previous_secret = fields.CharField(max_length=100, null=True)
    previous_secret_expires_at = fields.DatetimeField(null=True)
    active = fields.BooleanField(default=True)
    disabled_at = fields.DatetimeField(null=True)
    disabled_reason = fields.CharField(max_length=WEBHOOK_ERROR_MAX, default="")
    # Since when every attempt failed (NULL after a success): three days of it disable it.
    failing_since = fields.DatetimeField(null=True)
    consecutive_failures = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    owner_id: int

    class Meta:
        table = "webhooks"


class WebhookDelivery(Model):
    """One event for one webhook: the body exactly as signed and sent (the same on every
    attempt, so a retry carries the same `webhook-id` and bytes), its state and next try.
    Claimed by one instance at a time (`locked_until`, SKIP LOCKED on PostgreSQL)."""

    id = fields.BigIntField(primary_key=True)
    webhook: fields.ForeignKeyRelation[Webhook] = fields.ForeignKeyField(
        "models.Webhook", related_name="deliveries", on_delete=fields.CASCADE
    )
    # The outbox event (plain id: the outbox is pruned long before the log).
    event_id = fields.BigIntField()
    # The `webhook-id` header: the receiver's idempotency key, kept by retries and redeliveries.
    message_id = fields.CharField(max_length=64)
    event_type = fields.CharField(max_length=64)
    # What the event is about, for ordering a lead's deliveries (NULL: not about one lead).
    lead_id = fields.IntField(null=True)
    body = fields.TextField()
    status = fields.CharEnumField(
        WebhookDeliveryStatus, max_length=16, default=WebhookDeliveryStatus.PENDING
    )
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    locked_until = fields.DatetimeField(null=True)
    # A manual redelivery ("erneut senden") is a new delivery of the same message.
    redelivery_of_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, index=True)
    finished_at = fields.DatetimeField(null=True)

    webhook_id: int

    class Meta:
        table = "webhook_deliveries"
        indexes = (
            ("status", "next_attempt_at"),
            ("webhook_id", "id"),
            # The claim's order rule: a lead's earliest pending delivery, among the few
            # pending ones, not the webhook's whole log (services/webhooks/delivery.py).
            PartialIndex(
                fields=("webhook_id", "lead_id", "id"),
                name="idx_webhook_deliveries_pending_lead",
                condition={"status": "PENDING"},
            ),
        )


class WebhookAttempt(Model):
    """One HTTP request of a delivery: when, the answer's status (NULL: no answer), how long it
    took, what went wrong, and when the next try was planned (NULL: none)."""

    id = fields.BigIntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "models.WebhookDelivery", related_name="attempt_log", on_delete=fields.CASCADE
    )
    at = fields.DatetimeField()
    http_status = fields.IntField(null=True)
    duration_ms = fields.IntField()
    error = fields.CharField(max_length=WEBHOOK_ERROR_MAX, default="")
    next_attempt_at = fields.DatetimeField(null=True)

    delivery_id: int

    class Meta:
        table = "webhook_attempts"
        indexes = (("delivery_id", "id"),)


class WebhookCursor(Model):
    """Where the webhook fan-out stands in the outbox: one row (id 1). `high` is the largest
    event id handed to webhooks, `gaps` the ids below it not yet seen committed, with the
    transaction id and time that decide when one is given up (live/cursor.py's rule): ranges
    `[first, last, horizon, since]`; a row not written since the first form (the `{}` default,
    `{"<id>": [horizon, since]}`) is read too (`live.cursor.gap_ranges_from_json`)."""

    id = fields.IntField(primary_key=True)
    high = fields.BigIntField(default=0)
    gaps: fields.JSONField[list[list[float]] | dict[str, list[float]]] = fields.JSONField(
        default=dict
    )
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "webhook_cursor"


class Suppression(Model):
    """An erased person who must not be stored again: the keyed hash (HMAC-SHA256 with the
    suppression key) of their normalised email or phone, never the value itself. Intake,
    imports and partners check new contacts against it (services/privacy/suppression.py)."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(SuppressionKind, max_length=8)
    digest = fields.CharField(max_length=64)
    # The erased contact (a plain id: the tombstone stays, but nothing hangs on it).
    contact_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "suppressions"
        unique_together = (("kind", "digest"),)


class ServerSecret(Model):
    """A secret the instances share and generate once when no setting provides it (the
    suppression key without LEADFLOW_SUPPRESSION_KEY). The first writer wins (insert, then read)."""

    name = fields.CharField(max_length=64, primary_key=True)
    value = fields.CharField(max_length=128)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "server_secrets"


class AuditEntry(Model):
    """Append-only record of security-relevant events: who, what, when, from where."""

    id = fields.IntField(primary_key=True)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="audit_entries", null=True, on_delete=fields.RESTRICT
    )
    action = fields.CharField(max_length=64, db_index=True)
    detail = fields.TextField(default="")
    address = fields.CharField(max_length=64, default="")
    at = fields.DatetimeField(auto_now_add=True, db_index=True)

    actor_id: int | None

    class Meta:
        table = "audit_entries"


IDEMPOTENCY_KEY_MAX = 200


class IdempotencyKey(Model):
    """A mutation request sent with an `Idempotency-Key` header, per user: written in the
    mutation's own transaction, so it exists exactly when the mutation committed, with the
    response to replay when the client sends the same request again (services/idempotency.py).
    Pruned after a day."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="idempotency_keys", on_delete=fields.CASCADE
    )
    key = fields.CharField(max_length=IDEMPOTENCY_KEY_MAX)
    # SHA-256 (hex) of the request: query text, operation name and variables.
    request_digest = fields.CharField(max_length=64)
    # The HTTP status and JSON body answered; 0 and "" until the mutation has run.
    status = fields.IntField(default=0)
    response = fields.TextField(default="")
    created_at = fields.DatetimeField(db_index=True)

    user_id: int

    class Meta:
        table = "idempotency_keys"
        unique_together = (("user", "key"),)


# ---------------------------------------------------------------------------------------------
# Report rollups: derived from `leads` by database triggers (migration 0006_report_rollups),
# never written by the application. The reports sum them over whole UTC days instead of reading
# every lead of a long period. Plain integer keys: a rollup row is no reason to keep a campaign
# or user, and the triggers are its only writers.


class CampaignDayFigures(Model):
    """One campaign's figures for one UTC day: the leads created that day and how they stand
    now (a cohort: new, active, done, outcomes, the unsuccessful ones by close reason), and the
    leads closed that day. A new close reason needs a column here and in the triggers."""

    id = fields.IntField(primary_key=True)
    campaign_id = fields.IntField()
    day = fields.DateField()
    created = fields.IntField(default=0)
    new = fields.IntField(default=0)
    active = fields.IntField(default=0)
    done = fields.IntField(default=0)
    successful = fields.IntField(default=0)
    unsuccessful = fields.IntField(default=0)
    closed_successful = fields.IntField(default=0)
    closed_unsuccessful = fields.IntField(default=0)
    reason_not_interested = fields.IntField(default=0)
    reason_unreachable = fields.IntField(default=0)
    reason_wrong_contact_data = fields.IntField(default=0)
    reason_duplicate = fields.IntField(default=0)
    reason_other = fields.IntField(default=0)

    class Meta:
        table = "report_campaign_days"
        unique_together = (("campaign_id", "day"),)


class ClerkDayFigures(Model):
    """Of the leads assigned to one clerk now, how many were closed on one UTC day and how
    many of those successfully."""

    id = fields.IntField(primary_key=True)
    assignee_id = fields.IntField()
    day = fields.DateField()
    closed = fields.IntField(default=0)
    successful = fields.IntField(default=0)

    class Meta:
        table = "report_clerk_days"
        unique_together = (("assignee_id", "day"),)
