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
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


class LeadEventKind(StrEnum):
    CREATED = "CREATED"
    ASSIGNED = "ASSIGNED"
    REASSIGNED = "REASSIGNED"
    FEEDBACK_RECORDED = "FEEDBACK_RECORDED"
    CLOSED = "CLOSED"
    OPPORTUNITY_CREATED = "OPPORTUNITY_CREATED"


class OpportunityEventKind(StrEnum):
    CREATED = "CREATED"
    HANDED_OVER = "HANDED_OVER"


class ImportStatus(StrEnum):
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class ImportIssueKind(StrEnum):
    REJECTED = "REJECTED"
    DUPLICATE = "DUPLICATE"
