"""Report periods: [from, to) in UTC from plain input, and cut at UTC midnights into the whole
days the rollups hold and the partial days read from the leads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from leadflow.errors import DomainError, ErrorCode


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in UTC; None leaves that side open."""

    start: datetime | None = None
    end: datetime | None = None

    def filters(self, column: str) -> dict[str, datetime]:
        """Tortoise filter arguments that keep `column` within the period."""
        bounds: dict[str, datetime] = {}
        if self.start is not None:
            bounds[f"{column}__gte"] = self.start
        if self.end is not None:
            bounds[f"{column}__lt"] = self.end
        return bounds


@dataclass(frozen=True, slots=True)
class DaySplit:
    """A period cut at UTC midnights: whole days [first_day, end_day) that the rollups hold
    (None leaves a side open; `whole_days` False when there are none) and the partial days
    before and after them (`edges`), which are read from the leads."""

    first_day: date | None
    end_day: date | None
    whole_days: bool
    edges: tuple[Period, ...]

    @classmethod
    def of(cls, period: Period) -> DaySplit:
        start, end = period.start, period.end
        if start is not None and (
            (end is not None and midnight(start) == midnight(end))
            # Past midnight of 9999-12-31 no next midnight exists (a date overflow).
            or (start.date() == date.max and start != midnight(start))
        ):
            return cls(None, None, False, (period,))
        edges: list[Period] = []
        first_day = end_day = None
        if start is not None:
            first = midnight(start)
            if first != start:
                first += timedelta(days=1)
                edges.append(Period(start, first))
            first_day = first.date()
        if end is not None:
            last = midnight(end)
            if last != end:
                edges.append(Period(last, end))
            end_day = last.date()
        whole = first_day is None or end_day is None or first_day < end_day
        return cls(first_day, end_day, whole, tuple(edges))

    def day_filters(self) -> dict[str, date]:
        """Tortoise filter arguments that keep a rollup's `day` within the whole days."""
        bounds: dict[str, date] = {}
        if self.first_day is not None:
            bounds["day__gte"] = self.first_day
        if self.end_day is not None:
            bounds["day__lt"] = self.end_day
        return bounds


def midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def make_period(
    start: date | datetime | None, end: date | datetime | None, *, required: bool = False
) -> Period:
    """A period from plain values: a date means its midnight in UTC, a naive datetime is taken
    as UTC, and either must lie within the years 1 to 9999 in UTC. `from` must come before
    `to`."""
    period = Period(_utc(start, "from"), _utc(end, "to"))
    if required:
        if period.start is None:
            raise DomainError(ErrorCode.REQUIRED, "Give the start of the period.", ["from"])
        if period.end is None:
            raise DomainError(ErrorCode.REQUIRED, "Give the end of the period.", ["to"])
    if period.start is not None and period.end is not None and period.start >= period.end:
        raise DomainError(
            ErrorCode.INVALID,
            "The period is empty: 'from' must be before 'to' ('to' itself is excluded).",
            ["to"],
        )
    return period


def _utc(value: date | datetime | None, argument: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        return datetime.combine(value, time.min, tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+10:00 is in the year 0 in UTC, 9999-12-31T23:00-10:00 in 10000.
        raise DomainError(
            ErrorCode.INVALID,
            f"'{argument}' must lie between {datetime.min.isoformat()}Z and "
            f"{datetime.max.isoformat()}Z in UTC; {value.isoformat()} does not.",
            [argument],
        ) from None
