"""Reads for the coverage pages, the untrained list and the exports.

Coverage figures come only from CoverageCount rows (courses/coverage.py keeps them up to date), so a
page costs the same few queries whatever the number of people. Every read takes the viewer's Scope.
"""
import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum

from academy.organisation.models import Post, PostKind, Region
from academy.organisation.scope import Scope
from courses.coverage import region_chain
from courses.models import CoverageCount, PlanAssignment, PlanStatus, TrainingPlan

# The three tiers under the 100% target, in the order the pages show them.
TIERS = (PostKind.INSTITUTION_HEAD, PostKind.CHILD_SUPERVISOR, PostKind.CHILD_DIRECTOR)

# How far below the share of the window gone a rate may fall before it turns from amber to red.
AMBER_MARGIN = 0.2


# --- Status colour -----------------------------------------------------------------------------------


def window_share_elapsed(*, opens_on: datetime.date, deadline: datetime.date, today: datetime.date) -> float:
    """The share of the training window already gone, 0 before it opens to 1 on the deadline."""
    if today < opens_on:
        return 0.0
    if today >= deadline:
        return 1.0
    return ((today - opens_on).days + 1) / ((deadline - opens_on).days + 1)


def coverage_status(*, rate: float, share_elapsed: float) -> str:
    """The colour of a coverage figure: "ok" (green) when the rate keeps pace with the share of the window
    gone, "warn" (amber) within AMBER_MARGIN below it, "bad" (red) further behind. The one rule; the
    pages show it as a legend."""
    if rate >= share_elapsed:
        return "ok"
    if rate >= share_elapsed - AMBER_MARGIN:
        return "warn"
    return "bad"


# --- Coverage ----------------------------------------------------------------------------------------


def scope_root(*, scope: Scope) -> Region | None:
    """The region an administrator's coverage pages start from: their own, or the top for everything."""
    if scope.is_empty:
        return None
    if scope.region_code:
        return Region.objects.filter(code=scope.region_code).first()
    return Region.objects.filter(parent__isnull=True).order_by("code").first()


def plans_covering(*, post_kind: str, year: int, region_code: str) -> QuerySet:
    """The plans of a tier and year counted at a region: organised by the region or one above it (the
    province's head plan seen from a county), or by regions under it (the county director plans seen from
    the city or province, summed). Plans of sibling regions have no counts here anyway."""
    return TrainingPlan.objects.filter(organised_over(region_code), year=year, post_kind=post_kind)


def organised_over(region_code: str, through: str = "") -> Q:
    """Plans (reached through the relation ``through``) organised by the region, above it or under it."""
    return Q(**{f"{through}organiser_region_id__in": region_chain(region_code)}) | Q(
        **{f"{through}organiser_region__code__startswith": region_code}
    )


@dataclass
class CoverageFigure:
    """Required, completed, in progress and not started in one region, summed over the plans covering it."""

    region: Region | None
    not_started: int = 0
    in_progress: int = 0
    completed: int = 0
    share_elapsed: float = 0.0

    @property
    def required(self) -> int:
        return self.not_started + self.in_progress + self.completed

    @property
    def rate(self) -> float:
        return self.completed / self.required if self.required else 1.0

    @property
    def percent(self) -> float:
        return round(self.rate * 100, 1)

    @property
    def status(self) -> str:
        if not self.required:
            return "none"
        return coverage_status(rate=self.rate, share_elapsed=self.share_elapsed)


@dataclass
class Coverage:
    """A coverage page: the region, its figure, one figure per child region, and the plans counted."""

    post_kind: str
    year: int
    region: Region
    total: CoverageFigure
    children: list[CoverageFigure]
    plans: list[TrainingPlan] = field(default_factory=list)
    opens_on: datetime.date | None = None
    deadline: datetime.date | None = None


def _summed_counts(*, plans: QuerySet, region_codes) -> dict[str, dict]:
    rows = (
        CoverageCount.objects.filter(plan__in=plans, region_id__in=region_codes)
        .values("region_id")
        .annotate(not_started=Sum("not_started"), in_progress=Sum("in_progress"), completed=Sum("completed"))
        .order_by()
    )
    return {row["region_id"]: row for row in rows}


def region_coverage(*, post_kind: str, year: int, region: Region, today: datetime.date) -> Coverage:
    """The coverage of a tier and year in ``region`` and each region one level below it: three queries
    (the plans, the child regions, the counts), whatever the number of people or plans."""
    plans = plans_covering(post_kind=post_kind, year=year, region_code=region.code)
    plan_list = list(plans.select_related("organiser_region").order_by("organiser_region_id"))
    children = list(Region.objects.filter(parent=region).order_by("code"))
    counts = _summed_counts(plans=plans, region_codes=[region.code] + [child.code for child in children])

    opens_on = min((plan.opens_on for plan in plan_list), default=None)
    deadline = max((plan.deadline for plan in plan_list), default=None)
    # Several plans (a county's each) are weighed against the widest window: the earliest opening, the
    # latest deadline.
    share = window_share_elapsed(opens_on=opens_on, deadline=deadline, today=today) if plan_list else 0.0

    def figure(of: Region) -> CoverageFigure:
        row = counts.get(of.code, {})
        return CoverageFigure(
            region=of, not_started=row.get("not_started", 0), in_progress=row.get("in_progress", 0),
            completed=row.get("completed", 0), share_elapsed=share,
        )

    return Coverage(
        post_kind=post_kind, year=year, region=region, total=figure(region),
        children=[figure(child) for child in children], plans=plan_list, opens_on=opens_on, deadline=deadline,
    )


def headline_rates(*, scope: Scope, year: int, today: datetime.date) -> list[tuple[str, CoverageFigure]]:
    """The year's figure of each tier for the scope's region (the home page headline): two queries."""
    root = scope_root(scope=scope)
    if root is None:
        return []
    rows = (
        CoverageCount.objects.filter(organised_over(root.code, "plan__"), plan__year=year, plan__post_kind__in=TIERS, region_id=root.code)
        .values("plan__post_kind")
        .annotate(not_started=Sum("not_started"), in_progress=Sum("in_progress"), completed=Sum("completed"))
        .order_by()
    )
    by_kind = {row["plan__post_kind"]: row for row in rows}
    windows = (
        TrainingPlan.objects.filter(organised_over(root.code), year=year, post_kind__in=TIERS)
        .values_list("post_kind", "opens_on", "deadline")
    )
    spans: dict[str, tuple] = {}
    for kind, opens_on, deadline in windows:
        earliest, latest = spans.get(kind, (opens_on, deadline))
        spans[kind] = (min(earliest, opens_on), max(latest, deadline))
    headline = []
    for kind in TIERS:
        row = by_kind.get(kind, {})
        span = spans.get(kind)
        share = window_share_elapsed(opens_on=span[0], deadline=span[1], today=today) if span else 0.0
        headline.append((kind, CoverageFigure(
            region=root, not_started=row.get("not_started", 0), in_progress=row.get("in_progress", 0),
            completed=row.get("completed", 0), share_elapsed=share,
        )))
    return headline


def coverage_table_rows(*, post_kind: str, year: int, region: Region):
    """Every region from ``region`` down that the plans count, in code order (a tree read top down), with
    its summed figure: (code, level, path, not started, in progress, completed). For the export; streamed."""
    plans = plans_covering(post_kind=post_kind, year=year, region_code=region.code)
    names = dict(Region.objects.filter(code__in=region.ancestor_codes()).values_list("code", "name"))
    rows = (
        CoverageCount.objects.filter(plan__in=plans, region__code__startswith=region.code)
        .values("region_id", "region__name", "region__level")
        .annotate(not_started=Sum("not_started"), in_progress=Sum("in_progress"), completed=Sum("completed"))
        .order_by("region_id")
    )
    for row in rows.iterator(chunk_size=2000):
        code = row["region_id"]
        names[code] = row["region__name"]
        path = " ".join(names.get(ancestor, ancestor) for ancestor in region_chain(code))
        yield code, row["region__level"], path, row["not_started"], row["in_progress"], row["completed"]


# --- The people of a plan ----------------------------------------------------------------------------

# Sort keys offered on the list, each to its ordering. The last key is unique, so the order is total and a page
# is found again from its last row alone (keyset pagination, assignments_page).
# The name is the assignment's copy of it (courses.plans.assignment_copies): one table, one index's order.
ASSIGNMENT_ORDERINGS = {
    "name": ("person_name", "pk"),
    "-name": ("-person_name", "-pk"),
    "region": ("region_id", "person_name", "pk"),
    "-region": ("-region_id", "-person_name", "-pk"),
    "status": ("status", "person_name", "pk"),
    "-status": ("-status", "person_name", "pk"),
    "hours": ("credit_hours", "person_name", "pk"),
    "-hours": ("-credit_hours", "person_name", "pk"),
}

# Status filter values beyond the PlanStatus values.
NOT_COMPLETED = ""  # the default: the people still to train
ANY_STATUS = "all"

# The coverage count columns of each status filter.
_STATUS_COLUMNS = {
    NOT_COMPLETED: (PlanStatus.NOT_STARTED, PlanStatus.IN_PROGRESS),
    ANY_STATUS: (PlanStatus.NOT_STARTED, PlanStatus.IN_PROGRESS, PlanStatus.COMPLETED),
    **{status: (status,) for status in PlanStatus.values},
}


def assignments_list(
    *,
    scope: Scope,
    year: int,
    post_kind: str = "",
    region_code: str = "",
    status: str = NOT_COMPLETED,
    sort: str = "name",
) -> QuerySet:
    """Plan assignments of ``year`` held in the scope's regions (by default those not completed), with the
    person, the plan and the region's path loaded, and ``mobile_visible``: whether the viewer may see the
    person's full mobile number (the rule of permissions.can_see_mobile, as a column: the person holds a
    post in the viewer's scope)."""
    assignments = assignments_matching(
        scope=scope, year=year, post_kind=post_kind, region_code=region_code, status=status, sort=sort
    )
    return with_mobile_visible(assignments.select_related(*ASSIGNMENT_RELATED), scope=scope)


# What a row of the list shows: the person, the plan, and the region's path up to its city.
ASSIGNMENT_RELATED = ("person", "plan", "region__parent__parent__parent")


def assignments_matching(
    *, scope: Scope, year: int, post_kind: str = "", region_code: str = "", status: str = NOT_COMPLETED,
    sort: str = "name",
) -> QuerySet:
    """The rows of assignments_list, ordered, with nothing joined or annotated for display."""
    if scope.is_empty or (region_code and not scope.contains_region_code(region_code)):
        return PlanAssignment.objects.none()
    # The assignment's own year (not its plan's) and region code (region__code is the column region_id, no join):
    # the columns of its indexes.
    assignments = PlanAssignment.objects.filter(year=year, region__code__startswith=region_code or scope.region_code)
    if post_kind:
        assignments = assignments.filter(plan__post_kind=post_kind)
    if status == NOT_COMPLETED:
        assignments = assignments.exclude(status=PlanStatus.COMPLETED)
    elif status != ANY_STATUS:
        assignments = assignments.filter(status=status)
    return assignments.order_by(*assignment_ordering(sort))


def with_mobile_visible(assignments: QuerySet, *, scope: Scope) -> QuerySet:
    """``mobile_visible`` as a column, for reading many rows at once (the database hashes the posts in scope
    once): the person holds a post in the viewer's scope."""
    return assignments.annotate(mobile_visible=Exists(scope.posts(Post.objects.filter(person=OuterRef("person_id")))))


def mark_mobile_visible(assignments: list, *, scope: Scope) -> list:
    """``mobile_visible`` set on a page of rows by one look-up of their people's posts (the rule of
    with_mobile_visible): cheaper for 50 rows than hashing every post in scope."""
    visible = set(
        scope.posts(Post.objects.filter(person_id__in={row.person_id for row in assignments}))
        .values_list("person_id", flat=True)
    )
    for row in assignments:
        row.mobile_visible = row.person_id in visible
    return assignments


def assignment_ordering(sort: str) -> tuple[str, ...]:
    return ASSIGNMENT_ORDERINGS.get(sort, ASSIGNMENT_ORDERINGS["name"])


def assignments_count(
    *, scope: Scope, year: int, post_kind: str = "", region_code: str = "", status: str = NOT_COMPLETED
) -> int:
    """How many rows assignments_list holds, read from the coverage counts (the figures of the coverage
    pages) rather than counted: the plans covering the region, at the region itself. The whole country (a
    system administrator without a region filter) is the sum of every plan's count at its own organiser's
    region, which holds all its people: one indexed row per plan."""
    if scope.is_empty or (region_code and not scope.contains_region_code(region_code)) or status not in _STATUS_COLUMNS:
        return 0
    code = region_code or scope.region_code
    kinds = [post_kind] if post_kind else TIERS
    if code:
        plans = TrainingPlan.objects.filter(organised_over(code), year=year, post_kind__in=kinds)
        counts = CoverageCount.objects.filter(plan__in=plans, region_id=code)
    else:
        counts = CoverageCount.objects.filter(
            plan__year=year, plan__post_kind__in=kinds, region_id=F("plan__organiser_region_id")
        )
    totals = counts.aggregate(**{column: Sum(column) for column in _STATUS_COLUMNS[status]})
    return sum(value or 0 for value in totals.values())


@dataclass
class AssignmentPage:
    """One page of the list, found by keyset: ``after`` / ``before`` are the assignment ids that the next and
    previous pages start from (None where there is no such page)."""

    rows: list
    after: int | None
    before: int | None


def assignments_page(*, scope: Scope, size: int, after: int | None = None, before: int | None = None,
                     sort: str = "name", **filters) -> AssignmentPage:
    """A page of ``size`` rows of assignments_list (the same ``filters``, sorted by ``sort``): the first page,
    the rows that follow the assignment ``after``, or those that precede the assignment ``before``. Each page
    is an indexed range read from the last row's sort key, so page 2,000 costs what page 1 does (no OFFSET),
    and rows added or removed meanwhile neither repeat nor skip a row. An id that is not in the list (deleted
    since, or guessed) starts from the first page."""
    queryset = assignments_matching(scope=scope, sort=sort, **filters).select_related(*ASSIGNMENT_RELATED)
    page = _keyset_page(queryset, sort=sort, size=size, after=after, before=before)
    mark_mobile_visible(page.rows, scope=scope)
    return page


def _keyset_page(queryset: QuerySet, *, sort: str, size: int, after: int | None, before: int | None) -> AssignmentPage:
    ordering = assignment_ordering(sort)
    anchor = after if after is not None else before
    key = _sort_key(queryset, ordering, anchor) if anchor is not None else None
    if key is None:
        rows = list(queryset[: size + 1])
        return AssignmentPage(rows=rows[:size], after=rows[size - 1].pk if len(rows) > size else None, before=None)
    if after is not None:
        rows = list(queryset.filter(_beyond(ordering, key))[: size + 1])
        return AssignmentPage(rows=rows[:size], after=rows[size - 1].pk if len(rows) > size else None,
                              before=rows[0].pk if rows else None)
    backwards = tuple(_reversed(field) for field in ordering)
    rows = list(queryset.filter(_beyond(backwards, key)).order_by(*backwards)[: size + 1])
    more = len(rows) > size
    rows = rows[:size][::-1]
    return AssignmentPage(rows=rows, after=rows[-1].pk if rows else None, before=rows[0].pk if more else None)


def _sort_key(queryset: QuerySet, ordering, pk: int) -> tuple | None:
    """The sort key of the row ``pk`` of ``queryset`` (so a page starts only from a row the viewer may see)."""
    names = [field.lstrip("-") for field in ordering]
    return queryset.filter(pk=pk).order_by().values_list(*names).first()


def _reversed(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


def _beyond(ordering, key) -> Q:
    """The rows after ``key`` in ``ordering``: (a, b, c) > (x, y, z) written out as a >= x and (a > x or
    (a = x and (b > y or (b = y and c > z)))), each comparison turned for a descending key; the leading
    a >= x lets the database start its index range at the key."""
    condition = None
    for field, value in reversed(list(zip(ordering, key))):
        name = field.lstrip("-")
        after = Q(**{f"{name}__lt" if field.startswith("-") else f"{name}__gt": value})
        condition = after if condition is None else after | (Q(**{name: value}) & condition)
    first, value = ordering[0].lstrip("-"), key[0]
    return Q(**{f"{first}__lte" if ordering[0].startswith("-") else f"{first}__gte": value}) & condition
