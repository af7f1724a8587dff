"""Coverage counts: for every plan and every region holding at least one of its assignments, the number
of people not started, in progress and completed, counted over the region and everything under it.

rebuild() recounts a plan from its assignments (after the assignment job); apply_changes() moves people
between statuses as their training records change, touching one row per level of their region's chain.
"""
from collections import Counter

from django.db import transaction
from django.db.models import Count, F
from django.db.models.functions import Length, Substr

from academy.organisation.models import CODE_LENGTHS

from .models import CoverageCount, PlanAssignment, PlanStatus

LEVEL_LENGTHS = sorted(CODE_LENGTHS.values())  # 2, 4, 6, 9, 12


def region_chain(code: str) -> list[str]:
    """The code and all its ancestors' codes: 330106002201 -> 33, 3301, 330106, 330106002, 330106002201."""
    return [code[:length] for length in LEVEL_LENGTHS if length <= len(code)]


@transaction.atomic
def rebuild(*, plan) -> None:
    """Recount ``plan`` from its assignments: one grouped query per level."""
    counts: dict[str, Counter] = {}
    for length in LEVEL_LENGTHS:
        rows = (
            PlanAssignment.objects.filter(plan=plan)
            .annotate(code_length=Length("region_id"), prefix=Substr("region_id", 1, length))
            .filter(code_length__gte=length)
            .values("prefix", "status")
            .annotate(people=Count("pk"))
        )
        for row in rows:
            counts.setdefault(row["prefix"], Counter())[row["status"]] += row["people"]
    CoverageCount.objects.filter(plan=plan).delete()
    CoverageCount.objects.bulk_create(
        [
            CoverageCount(
                plan=plan, region_id=code, not_started=by_status[PlanStatus.NOT_STARTED],
                in_progress=by_status[PlanStatus.IN_PROGRESS], completed=by_status[PlanStatus.COMPLETED],
            )
            for code, by_status in counts.items()
        ],
        batch_size=2000,
    )


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
