"""Report types: figures per campaign and per clerk, and the points of a lead time series.

The figures come computed from `services.reports`; these types only carry them. Durations are
in seconds, periods are [from, to) and everything is in UTC."""

from __future__ import annotations

from datetime import date

import strawberry

from leadflow.api.types.enums import CloseReason
from leadflow.api.types.figures import counts_of
from leadflow.api.types.lead import CampaignNode, LeadNode
from leadflow.api.types.user import UserNode
from leadflow.services import reports

# Registered as GraphQL enums (strawberry.enum returns the class it is given).
AgingKind = reports.AgingKind
ReportInterval = reports.ReportInterval
strawberry.enum(
    AgingKind,
    description=(
        "Which leads are waiting too long. NEW: no clerk yet, created more than N days ago "
        "(to distribute). ACTIVE_WITHOUT_FEEDBACK: assigned, not closed, and neither feedback "
        "nor an assignment (a reassignment restarts the clock) for N days (to chase or "
        "reassign)."
    ),
)
strawberry.enum(
    ReportInterval,
    description="The bucket size of a time series: a UTC day, or a week from Monday (UTC).",
)


@strawberry.type(description="How many unsuccessful closes gave one reason.")
class ReasonCount:
    reason: CloseReason = strawberry.field(description="Why the leads were closed unsuccessfully.")
    count: int = strawberry.field(description="Number of leads closed with this reason.")


@strawberry.type(
    description=(
        "Figures of one campaign over the leads the viewer may read (managers: all; clerks: "
        "their own; partners: the leads they submitted). With a period, over the leads "
        "created in it: how the leads that came in then stand now."
    )
)
class CampaignReport:
    campaign: CampaignNode = strawberry.field(description="The campaign.")
    total: int = strawberry.field(description="Leads counted (New + Active + Done).")
    new: int = strawberry.field(description="Leads without a clerk yet.")
    active: int = strawberry.field(description="Leads assigned to a clerk, not closed.")
    done: int = strawberry.field(description="Closed leads.")
    successful: int = strawberry.field(description="Leads closed successfully.")
    unsuccessful: int = strawberry.field(description="Leads closed unsuccessfully.")
    conversion_rate: float | None = strawberry.field(
        description="successful / done, between 0 and 1 (four places); null while none is done."
    )
    unsuccessful_by_reason: list[ReasonCount] = strawberry.field(
        description="Unsuccessful closes per reason: every reason, in a fixed order, zeros too."
    )
    median_seconds_to_assignment: float | None = strawberry.field(
        description=(
            "Median time from a lead's creation to its first assignment to a clerk (a later "
            "reassignment does not count), in seconds; null without assigned leads."
        )
    )
    median_seconds_to_first_feedback: float | None = strawberry.field(
        description=(
            "Median time from a lead's first assignment to its first feedback, in seconds, "
            "over the leads with feedback; null when none has any."
        )
    )
    median_seconds_to_close: float | None = strawberry.field(
        description="Median time from a lead's creation to its close, in seconds; null when "
        "none is closed."
    )
    medians_estimated: bool = strawberry.field(
        description=(
            "True when this campaign's medians were estimated rather than computed over every "
            "lead: when the report covers more than 50,000 leads, the largest campaigns' "
            "medians are taken over a fixed sample of every 16th lead (by id), which keeps "
            "long periods fast; smaller campaigns stay exact, counts are always exact."
        )
    )

    @classmethod
    def from_report(cls, report: reports.CampaignReport) -> CampaignReport:
        return cls(
            campaign=CampaignNode.from_model(report.campaign),
            **counts_of(report.stats),
            conversion_rate=report.conversion_rate,
            unsuccessful_by_reason=[
                ReasonCount(reason=entry.reason, count=entry.count)
                for entry in report.unsuccessful_by_reason
            ],
            median_seconds_to_assignment=report.median_seconds_to_assignment,
            median_seconds_to_first_feedback=report.median_seconds_to_first_feedback,
            median_seconds_to_close=report.median_seconds_to_close,
            medians_estimated=report.medians_estimated,
        )


@strawberry.type(
    description=(
        "Figures of one clerk, over the leads assigned to the clerk now (a closed lead keeps "
        "its clerk). Managers get every clerk, a clerk only themselves."
    )
)
class ClerkReport:
    clerk: UserNode = strawberry.field(description="The clerk (deactivated clerks too).")
    open_leads: int = strawberry.field(description="The clerk's ACTIVE leads now.")
    closed_in_period: int = strawberry.field(
        description="The clerk's leads closed within [from, to) (all of them without a period)."
    )
    successful_in_period: int = strawberry.field(
        description="Of those, the ones closed successfully."
    )
    success_rate: float | None = strawberry.field(
        description=(
            "successfulInPeriod / closedInPeriod, between 0 and 1 (four places); null when "
            "nothing was closed."
        )
    )
    median_seconds_to_first_feedback: float | None = strawberry.field(
        description=(
            "Median time from a lead's first assignment to its first feedback, in seconds, "
            "over the clerk's leads first answered within [from, to); null when there are none."
        )
    )
    medians_estimated: bool = strawberry.field(
        description=(
            "True when this clerk's median was estimated rather than computed over every lead: "
            "when the clerks closed more than 50,000 leads in the period, the busiest clerks' "
            "medians are taken over a fixed sample of every 16th lead (by id), which keeps "
            "long periods fast; counts are always exact."
        )
    )
    oldest_waiting_lead: LeadNode | None = strawberry.field(
        description=(
            "The clerk's ACTIVE lead that has waited longest: the oldest last activity (the "
            "later of its latest feedback and its assignment to this clerk). Null without "
            "ACTIVE leads."
        )
    )

    @classmethod
    def from_report(
        cls, report: reports.ClerkReport, oldest_waiting_lead: LeadNode | None
    ) -> ClerkReport:
        return cls(
            clerk=UserNode.from_model(report.clerk),
            open_leads=report.open_leads,
            closed_in_period=report.closed_in_period,
            successful_in_period=report.successful_in_period,
            success_rate=report.success_rate,
            median_seconds_to_first_feedback=report.median_seconds_to_first_feedback,
            oldest_waiting_lead=oldest_waiting_lead,
            medians_estimated=report.medians_estimated,
        )


@strawberry.type(
    description=(
        "One bucket of a lead time series. Only events within [from, to) count, so the first "
        "and the last bucket may cover part of their day or week."
    )
)
class TimeSeriesPoint:
    start: date = strawberry.field(
        description="The bucket's first day (UTC); for weeks always a Monday."
    )
    created: int = strawberry.field(description="Leads created in the bucket.")
    successful: int = strawberry.field(description="Leads closed successfully in the bucket.")
    unsuccessful: int = strawberry.field(description="Leads closed unsuccessfully in the bucket.")

    @classmethod
    def from_point(cls, point: reports.TimeSeriesPoint) -> TimeSeriesPoint:
        return cls(
            start=point.start,
            created=point.created,
            successful=point.successful,
            unsuccessful=point.unsuccessful,
        )
