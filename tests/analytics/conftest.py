"""A small coverage world for the analytics tests. Until courses/plans.py assigns people, the tests place
PlanAssignments by hand and recount with courses.coverage.rebuild(), as the assignment job will.

Director plans of 上城区 (330102), 拱墅区 (330105) and 海曙区 (330203, another city), the supervisor plan
of 杭州市 and the province's institution-head plan, all in the current training year.
"""
import datetime
from types import SimpleNamespace

import pytest

from academy.organisation.models import PostKind, Region, RunLevel
from courses import coverage
from courses.plans import assignment_copies
from courses.models import PlanAssignment, PlanStatus, TrainingPlan
from courses.years import training_year
from tests.factories import InstitutionFactory, PersonFactory, PostFactory, RegionFactory


@pytest.fixture(autouse=True)
def _english(settings):
    """Pages are checked in English, whatever the catalogs hold."""
    settings.LANGUAGE_CODE = "en"


def make_plan(kind, organiser_code, year=None, **fields) -> TrainingPlan:
    year = year or training_year()
    values = {
        "opens_on": datetime.date(year, 1, 1), "deadline": datetime.date(year, 12, 31),
        "join_cutoff": datetime.date(year, 10, 31), "leave_cutoff": datetime.date(year, 3, 31),
    }
    values.update(fields)
    return TrainingPlan.objects.create(
        year=year, post_kind=kind, organiser_region=Region.objects.get(code=organiser_code),
        title=f"{year} {kind} {organiser_code}", **values,
    )


def make_village(township_code: str, number: int) -> Region:
    return RegionFactory(
        code=f"{township_code}{number:03d}", name=f"{township_code[-3:]}村{number}", level="village",
        parent=Region.objects.get(code=township_code), is_synthetic=True,
    )


def assign(plan, region, status=PlanStatus.NOT_STARTED, *, name=None, mobile=None, institution=None, hours=0):
    """A person holding the plan's post in ``region`` (or ``institution``), required by the plan."""
    person = PersonFactory(**({"name": name} if name else {}), **({"mobile": mobile} if mobile else {}))
    if institution is not None:
        PostFactory(person=person, kind=plan.post_kind, institution=institution)
        region = institution.region
    else:
        PostFactory(person=person, kind=plan.post_kind, region=region)
    return PlanAssignment.objects.create(
        plan=plan, person=person, region=region, status=status, credit_hours=hours,
        completed_on=plan.opens_on if status == PlanStatus.COMPLETED else None,
        **assignment_copies(plan=plan, person_name=person.name),
    )


@pytest.fixture
def world(db):
    home_a, home_b = make_village("330102001", 1), make_village("330102003", 1)
    neighbour = make_village("330105001", 1)
    far = make_village("330203001", 1)
    plans = SimpleNamespace(
        home=make_plan(PostKind.CHILD_DIRECTOR, "330102"),
        neighbour=make_plan(PostKind.CHILD_DIRECTOR, "330105"),
        far=make_plan(PostKind.CHILD_DIRECTOR, "330203"),
        supervisors=make_plan(PostKind.CHILD_SUPERVISOR, "3301"),
        heads=make_plan(PostKind.INSTITUTION_HEAD, "33"),
    )
    province_home = InstitutionFactory(name="浙江省儿童福利院", run_level=RunLevel.PROVINCE)
    county_home = InstitutionFactory(name="上城区儿童福利院", run_level=RunLevel.COUNTY)
    people = SimpleNamespace(
        home_done=assign(plans.home, home_a, PlanStatus.COMPLETED, name="上城已训", hours=8),
        home_going=assign(plans.home, home_a, PlanStatus.IN_PROGRESS, name="上城在训", hours=2),
        home_missing=assign(plans.home, home_b, name="上城未训", mobile="13912345678"),
        neighbour_missing=assign(plans.neighbour, neighbour, name="拱墅未训"),
        neighbour_done=assign(plans.neighbour, neighbour, PlanStatus.COMPLETED, name="拱墅已训"),
        far_missing=assign(plans.far, far, name="海曙未训"),
        supervisor_missing=assign(
            plans.supervisors, Region.objects.get(code="330102001"), name="上城督导未训"
        ),
        province_head=assign(plans.heads, None, name="省院长未训", mobile="13911112222", institution=province_home),
        county_head=assign(plans.heads, None, PlanStatus.COMPLETED, name="区院长已训", institution=county_home),
    )
    for plan in vars(plans).values():
        coverage.rebuild(plan=plan)
    return SimpleNamespace(plans=plans, people=people, villages=SimpleNamespace(home_a=home_a, home_b=home_b))
