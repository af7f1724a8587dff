"""Coverage counts: for every plan and every region holding at least one of its assignments, the number
of people not started, in progress and completed, counted over the region and everything under it.

rebuild() recounts a plan from its assignments (recount_plans() many plans at once, within the assignment job's
transaction); apply_changes() moves people between statuses as their training records change, touching one row per
level of their region's chain.
"""
from collections import Counter

from django.db import connection, transaction
from django.db.models import F

from academy.organisation.models import CODE_LENGTHS

from .models import CoverageCount, PlanStatus
from .rowsync import RowSync

LEVEL_LENGTHS = sorted(CODE_LENGTHS.values())  # 2, 4, 6, 9, 12


def region_chain(code: str) -> list[str]:
    """The code and all its ancestors' codes: 330106002201 -> 33, 3301, 330106, 330106002, 330106002201."""
    return [code[:length] for length in LEVEL_LENGTHS if length <= len(code)]


@transaction.atomic
def rebuild(*, plan) -> None:
    """Recount ``plan`` from its assignments."""
    recount(plan=plan)


def recount(*, plan) -> None:
    """rebuild() within the caller's transaction."""
    recount_plans([plan.pk])


# The counts the assignments give, written where they differ (rowsync.py). Each assignment counts once in its
# region and once in every ancestor: its code cut to each level's length.
_COUNTS_SQL = """
WITH wanted AS (
    SELECT assignment.plan_id, substr(assignment.region_id, 1, level.length) AS region_id,
        sum(CASE WHEN assignment.status = %s THEN 1 ELSE 0 END) AS not_started,
        sum(CASE WHEN assignment.status = %s THEN 1 ELSE 0 END) AS in_progress,
        sum(CASE WHEN assignment.status = %s THEN 1 ELSE 0 END) AS completed
    FROM courses_planassignment assignment
    CROSS JOIN ({levels}) level
    WHERE assignment.plan_id IN ({plans}) AND length(assignment.region_id) >= level.length
    GROUP BY assignment.plan_id, substr(assignment.region_id, 1, level.length)
)
"""
_COUNTS = RowSync(
    table=CoverageCount._meta.db_table, rows="coverage_rows",
    columns="plan_id bigint NOT NULL, region_id varchar(12) NOT NULL, not_started integer NOT NULL, "
            "in_progress integer NOT NULL, completed integer NOT NULL",
    keys=("plan_id", "region_id"), values=("not_started", "in_progress", "completed"),
)


def recount_plans(plan_ids) -> None:
    """Recount the plans ``plan_ids`` from their assignments, within the caller's transaction: a few statements
    whatever the number of plans and people (a national run's 3,000 plans and 600,000 people included), writing
    only the counts that changed."""
    plan_ids = list(plan_ids)
    if not plan_ids:
        return
    levels = " UNION ALL ".join(f"SELECT {length:d} AS length" for length in LEVEL_LENGTHS)
    plans = ", ".join(["%s"] * len(plan_ids))
    with connection.cursor() as cursor:
        _COUNTS.fill(
            cursor, _COUNTS_SQL.format(levels=levels, plans=plans),
            [PlanStatus.NOT_STARTED, PlanStatus.IN_PROGRESS, PlanStatus.COMPLETED, *plan_ids],
        )
        _COUNTS.apply(cursor, scope=f"kept.plan_id IN ({plans})", scope_params=plan_ids)


@transaction.atomic
def apply_changes(*, plan, changes: list[tuple[str, str | None, str | None]]) -> None:
    """Apply status changes of assignments of ``plan``: (region code, old status, new status), where None
    means the assignment did not exist (added) or no longer exists (removed)."""
    delta: dict[str, Counter] = {}
    for code, old, new in changes:
        if old == new:
            continue
        for ancestor in region_chain(code):
            counter = delta.setdefault(ancestor, Counter())
            if old:
                counter[old] -= 1
            if new:
                counter[new] += 1
    for code, counter in sorted(delta.items()):
        if not any(counter.values()):
            continue
        CoverageCount.objects.get_or_create(plan=plan, region_id=code)
        CoverageCount.objects.filter(plan=plan, region_id=code).update(
            not_started=F("not_started") + counter[PlanStatus.NOT_STARTED],
            in_progress=F("in_progress") + counter[PlanStatus.IN_PROGRESS],
            completed=F("completed") + counter[PlanStatus.COMPLETED],
        )
