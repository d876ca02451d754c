"""Reports: figures per campaign and per clerk, aging lists and a time series of leads.

One module per report family (`per_campaign`, `per_clerk`, `aging`, `series`), beside the
periods they share (`periods`) and the sampling of medians (`sampling`); the SQL that differs
between SQLite and PostgreSQL is in `leadflow.db.sql`.

Every figure is computed by the database (GROUP BY, window functions, percentile_cont) over the
leads the actor may read (`policy.report_leads`); leads are never loaded into Python to be
counted. Each report costs a fixed number of SQL statements, however many leads there are.

Definitions (durations in seconds, rounded to milliseconds):

- time to assignment: the lead's first assignment (`leads.first_assigned_at`, the time of its
  ASSIGNED event) minus its `created_at`. A reassignment does not restart it.
- time to first feedback: the lead's first feedback (`leads.first_feedback_at`, the earliest
  `feedback.created_at`) minus that first assignment. Leads without feedback are left out (not
  counted as zero).
- time to close: `closed_at` minus `created_at`.
- median: the middle duration; of an even number, the mean of the two middle ones (what
  PostgreSQL's `percentile_cont(0.5)` computes). None when there is no duration to take it of.
- conversion rate (campaigns) and success rate (clerks): successful / closed, None while
  nothing is closed (`campaigns.success_rate`).
- a period is [from, to): `from` included, `to` excluded; either may be open. "Closed in a
  period" means `closed_at` within it.
- a campaign report with a period covers the leads *created* in it (a cohort: how the leads
  that came in then stand now: New/Active/Done, outcomes, durations).
- a clerk's figures belong to the leads assigned to the clerk now (a closed lead keeps its
  assignee). Their median time to first feedback covers the leads whose first feedback falls
  in the period.
- waiting: an ACTIVE lead's last activity is the later of its latest feedback and its current
  assignment (`assigned_at`, reset by a reassignment: the new clerk's clock starts then), kept
  on the lead as `leads.waiting_since` (written by `services.leads`). A
  clerk's oldest waiting lead is their ACTIVE lead with the oldest last activity; the aging
  list ACTIVE_WITHOUT_FEEDBACK holds the ACTIVE leads whose last activity is older than N days.

Long periods: for actors who read every lead (managers, admins, their read-only tokens), the
counts come from the rollup tables (`CampaignDayFigures` and friends, kept per UTC day by
triggers on `leads`, migration 0006) for the whole days of the period, plus the leads
themselves for a partial first or last day; they stay exact. A median needs every duration, so
it is exact while the groups (campaigns, clerks) hold at most `EXACT_MEDIAN_LIMIT` leads
together; beyond, the smallest groups holding at most `EXACT_BESIDE_SAMPLED` leads together
stay exact and the larger groups' medians are estimated from their leads whose id is a
multiple of `SAMPLE_EVERY` (a fixed sample, independent of the figures, read from
partial indexes), and their report says so (`medians_estimated`). A small campaign thus
keeps its exact medians beside big ones.
"""

from leadflow.services.reports.aging import (
    MAX_AGING_DAYS,
    MIN_AGING_DAYS,
    AgingKind,
    aging_leads,
    aging_order,
)
from leadflow.services.reports.per_campaign import CampaignReport, ReasonCount, campaign_reports
from leadflow.services.reports.per_clerk import ClerkReport, clerk_reports
from leadflow.services.reports.periods import DaySplit, Period, make_period
from leadflow.services.reports.sampling import (
    EXACT_BESIDE_SAMPLED,
    EXACT_MEDIAN_LIMIT,
    SAMPLE_EVERY,
)
from leadflow.services.reports.series import (
    MAX_SERIES_POINTS,
    ReportInterval,
    TimeSeriesPoint,
    bucket_of,
    lead_time_series,
)

__all__ = [
    "EXACT_BESIDE_SAMPLED",
    "EXACT_MEDIAN_LIMIT",
    "MAX_AGING_DAYS",
    "MAX_SERIES_POINTS",
    "MIN_AGING_DAYS",
    "SAMPLE_EVERY",
    "AgingKind",
    "CampaignReport",
    "ClerkReport",
    "DaySplit",
    "Period",
    "ReasonCount",
    "ReportInterval",
    "TimeSeriesPoint",
    "aging_leads",
    "aging_order",
    "bucket_of",
    "campaign_reports",
    "clerk_reports",
    "lead_time_series",
    "make_period",
]
