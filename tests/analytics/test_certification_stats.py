"""The certification dashboard: carers by skill level, applications, pass rates by level, part and city, and
certificates per year each equal a plain recount over the rows, within the scope."""
import dataclasses
import datetime
import itertools
import json
import random
from collections import Counter
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from academy.organisation.models import Post, PostKind, Region, RunLevel
from academy.organisation.scope import Scope
from analytics.certification_stats import certification_dashboard
from certification.models import (
    Application, ApplicationStatus, AssessmentSession, Certificate, CertificateStatus, Level,
    Outcome, Part, PartResult, SessionStatus,
)
from certification.rules import rule_set_seed_defaults
from tests.factories import (
    AssessmentCentreFactory, InstitutionFactory, PersonFactory, PostFactory, UserFactory, make_id_number,
)

TODAY = datetime.date(2026, 6, 15)
YEAR = TODAY.year
COUNTIES = ["330102", "330105", "330203", "330302"]  # 杭州市 ×2, 宁波市, 温州市
_serials = itertools.count(1)
_numbers = itertools.count()


def person():
    """A person with a resident ID number of their own: the factory's random numbers may repeat over the
    hundreds of people a random world holds."""
    number = next(_numbers)
    born = datetime.date(1970, 1, 1) + datetime.timedelta(days=number // 1000)
    return PersonFactory(id_number=make_id_number("330102", born, number % 1000))


@pytest.fixture
def base(db):
    organiser = UserFactory()
    centre = AssessmentCentreFactory(region=Region.objects.get(code="33"), verification_note="")
    return SimpleNamespace(organiser=organiser, centre=centre, rule_set=rule_set_seed_defaults())


def make_session(base, *, level: int, starts: datetime.datetime) -> AssessmentSession:
    starts = timezone.make_aware(starts)
    return AssessmentSession.objects.create(
        centre=base.centre, rule_set=base.rule_set, level=level, title=f"{level}级 {starts:%Y-%m-%d}", venue="省福利院",
        applications_close_on=starts.date() - datetime.timedelta(days=20), theory_starts_at=starts,
        theory_ends_at=starts + datetime.timedelta(hours=2), skill_date=starts.date() + datetime.timedelta(days=1),
        capacity=100, created_by=base.organiser, status=SessionStatus.SIGNED_OFF,
    )


def make_application(session, person, *, institution, status=ApplicationStatus.APPROVED, outcome=Outcome.PENDING):
    return Application.objects.create(
        session=session, person=person, institution=institution, applied_by=session.created_by, status=status,
        is_eligible=True, outcome=outcome,
    )


def make_certificate(application, *, issued_on, status=CertificateStatus.VALID) -> Certificate:
    level = application.session.level
    return Certificate.objects.create(
        number=f"S000133000001{issued_on:%y}{level}{next(_serials):06d}", application=application,
        person=application.person, level=level, holder_name=application.person.name, issuer="评价中心",
        issued_on=issued_on, status=status,
    )


def carer(home, *, start=datetime.date(2020, 1, 1), end=None, kind=PostKind.CARER):
    return PostFactory(
        person=person(), kind=kind, institution=home, region=home.region, start_date=start, end_date=end
    ).person


def random_world(base, seed: int):
    """Institutions in four counties of three cities; people holding carer or other posts (some ended), with
    applications to sessions of every level from 2022 to 2026 from their institution, another one or none,
    random statuses, outcomes and part results (some carried), and certificates (some revoked)."""
    rng = random.Random(seed)
    homes = [
        InstitutionFactory(
            name=f"福利院{seed}-{number}", run_level=rng.choice([RunLevel.CITY, RunLevel.COUNTY, RunLevel.PROVINCE]),
            region=Region.objects.get(code=rng.choice(COUNTIES)),
        )
        for number in range(8)
    ]
    sessions = [
        # One session in the first half hour of 1 January: still the new year in China Standard Time.
        make_session(base, level=level, starts=datetime.datetime(year, 1, 1, 0, 30) if (year, level) == (YEAR, 4)
                     else datetime.datetime(year, rng.randint(1, 12), rng.randint(1, 28), 9))
        for year in range(2022, YEAR + 1) for level in Level.values
    ]
    results = []
    for _number in range(90):
        home = rng.choice(homes)
        start = datetime.date(2018, 1, 1) + datetime.timedelta(days=rng.randint(0, 3000))
        end = start + datetime.timedelta(days=rng.randint(0, 3000)) if rng.random() < 0.3 else None
        kind = PostKind.CARER if rng.random() < 0.8 else PostKind.INSTITUTION_STAFF
        person = carer(home, start=start, end=end, kind=kind)
        for session in rng.sample(sessions, rng.randint(0, 4)):
            status = rng.choice(list(ApplicationStatus))
            outcome = rng.choice(list(Outcome)) if status == ApplicationStatus.APPROVED else Outcome.PENDING
            institution = rng.choice([home, home, rng.choice(homes), None])
            application = make_application(session, person, institution=institution, status=status, outcome=outcome)
            if outcome in (Outcome.PASSED, Outcome.FAILED):
                parts = [Part.THEORY, Part.SKILL] + ([Part.REVIEW] if session.level <= 2 else [])
                for part in parts:
                    carried = rng.choice(results) if results and rng.random() < 0.15 else None
                    results.append(PartResult.objects.create(
                        application=application, part=part, score=Decimal(rng.randint(30, 100)), pass_mark=Decimal(60),
                        passed=outcome == Outcome.PASSED or rng.random() < 0.5, carried_from=carried,
                    ))
            if outcome == Outcome.PASSED and rng.random() < 0.85:
                make_certificate(
                    application,
                    issued_on=session.theory_starts_at.date() + datetime.timedelta(days=rng.randint(5, 60)),
                    status=CertificateStatus.REVOKED if rng.random() < 0.2 else CertificateStatus.VALID,
                )
    return homes


# --- Recounts, written straight from the rules ---------------------------------------------------------


def in_scope(scope, institution) -> bool:
    return institution is not None and scope.contains_institution(institution)


def recount_carers(scope, day) -> Counter:
    carers = {
        post.person for post in Post.objects.filter(kind=PostKind.CARER)
        if post.is_held_on(day) and in_scope(scope, post.institution)
    }
    levels = Counter()
    for person in carers:
        valid = [
            certificate.level for certificate in Certificate.objects.filter(person=person)
            if certificate.status == CertificateStatus.VALID and certificate.issued_on <= day
        ]
        levels[min(valid) if valid else None] += 1
    return levels


def applications_of(scope, year) -> list[Application]:
    return [
        application for application in Application.objects.select_related("session", "institution")
        if timezone.localtime(application.session.theory_starts_at).year == year
        and in_scope(scope, application.institution)
    ]


def pass_rate(applications) -> float | None:
    passed = sum(1 for application in applications if application.outcome == Outcome.PASSED)
    failed = sum(1 for application in applications if application.outcome == Outcome.FAILED)
    return passed / (passed + failed) if passed + failed else None


def table(dashboard, title):
    return next(item for item in dashboard.tables if item.title == title)


def figure(dashboard, label):
    return next(item for item in dashboard.figures if item.label == label)


def approx_or_none(value):
    return None if value is None else pytest.approx(value)


def assert_matches_recount(dashboard, scope, *, year=YEAR, today=TODAY):
    day = today if year == today.year else datetime.date(year, 12, 31)

    # Carers by skill level.
    levels = recount_carers(scope, day)
    carers = sum(levels.values())
    rows = {row["level"]: row["people"] for row in table(dashboard, "Carers by skill level").rows}
    assert rows == {**{str(level.label): levels[level.value] for level in Level}, "No certificate": levels[None]}
    assert figure(dashboard, "Carers").value == carers
    assert figure(dashboard, "Carers certified").value == approx_or_none(
        (carers - levels[None]) / carers if carers else None
    )

    # Applications by status.
    applications = applications_of(scope, year)
    statuses = Counter(application.status for application in applications)
    rows = {row["status"]: row["applications"] for row in table(dashboard, "Applications by status").rows}
    assert rows == {str(status.label): statuses[status.value] for status in ApplicationStatus}
    assert figure(dashboard, "Applications").value == len(applications)
    assert figure(dashboard, "Pass rate").value == approx_or_none(pass_rate(applications))

    # Pass rates by level and by city.
    rows = {row["level"]: row for row in table(dashboard, "Pass rate by level").rows}
    for level in Level:
        of_level = [application for application in applications if application.session.level == level]
        row = rows[str(level.label)]
        assert row["rate"] == approx_or_none(pass_rate(of_level)), level
        assert row["absent"] == sum(1 for application in of_level if application.outcome == Outcome.ABSENT)
    by_city = {}
    for application in applications:
        if application.outcome in (Outcome.PASSED, Outcome.FAILED, Outcome.ABSENT):
            city = Region.objects.get(code=application.institution.region_id[:4]).name
            by_city.setdefault(city, []).append(application)
    rows = {row["city"]: row for row in table(dashboard, "Pass rate by city").rows}
    assert set(rows) == set(by_city)
    for city, of_city in by_city.items():
        assert rows[city]["rate"] == approx_or_none(pass_rate(of_city)), city
        assert rows[city]["passed"] == sum(1 for application in of_city if application.outcome == Outcome.PASSED)

    # Pass rates by part, carried parts left out.
    ids = {application.pk for application in applications}
    results = [
        result for result in PartResult.objects.all() if result.application_id in ids and not result.carried_from_id
    ]
    rows = {row["part"]: row for row in table(dashboard, "Pass rate by part").rows}
    for part in Part:
        of_part = [result for result in results if result.part == part]
        passed = sum(1 for result in of_part if result.passed)
        assert (rows[str(part.label)]["results"], rows[str(part.label)]["passed"]) == (len(of_part), passed), part
        assert rows[str(part.label)]["rate"] == approx_or_none(passed / len(of_part) if of_part else None)

    # Certificates per year, every year.
    issued = Counter(
        (certificate.issued_on.year, certificate.status)
        for certificate in Certificate.objects.select_related("application__institution")
        if in_scope(scope, certificate.application.institution)
    )
    rows = {
        int(row["year"]): (row["valid"], row["revoked"])
        for row in table(dashboard, "Certificates issued per year").rows
    }
    years = {year for year, _status in issued}
    assert set(rows) == (set(range(min(years), max(years) + 1)) if years else set())
    for year_issued, counts in rows.items():
        assert counts == (issued[year_issued, CertificateStatus.VALID], issued[year_issued, CertificateStatus.REVOKED])


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_every_figure_equals_a_recount_on_random_data(base, seed):
    random_world(base, seed)
    dashboard = certification_dashboard(scope=Scope.everything(), year=YEAR, today=TODAY)
    assert dashboard.slug == "certification"
    assert figure(dashboard, "Carers").value > 0 and figure(dashboard, "Applications").value > 0
    assert_matches_recount(dashboard, Scope.everything())
    # Plain numbers and text (no numpy types, no lazy strings), so every export can write them.
    json.dumps(dataclasses.asdict(dashboard))


def test_a_past_year_equals_a_recount_on_31_december(base):
    random_world(base, 14)
    dashboard = certification_dashboard(scope=Scope.everything(), year=2024, today=TODAY)
    assert_matches_recount(dashboard, Scope.everything(), year=2024)


@pytest.mark.parametrize("seed", [15, 16])
def test_a_city_administrator_counts_nothing_of_another_city(base, seed):
    random_world(base, seed)
    hangzhou = Scope.of_region(Region.objects.get(code="3301"))
    before = certification_dashboard(scope=hangzhou, year=YEAR, today=TODAY)
    assert_matches_recount(before, hangzhou)
    assert {row["city"] for row in table(before, "Pass rate by city").rows} <= {"杭州市"}

    # Carers, candidates and certificates of 宁波市 change nothing for 杭州市.
    ningbo = InstitutionFactory(name="宁波市儿童福利院", run_level=RunLevel.CITY, region=Region.objects.get(code="330203"))
    session = make_session(base, level=5, starts=datetime.datetime(YEAR, 3, 3, 9))
    for outcome in (Outcome.PASSED, Outcome.FAILED, Outcome.ABSENT):
        application = make_application(session, carer(ningbo), institution=ningbo, outcome=outcome)
        PartResult.objects.create(
            application=application, part=Part.THEORY, pass_mark=60, passed=outcome == Outcome.PASSED
        )
        if outcome == Outcome.PASSED:
            make_certificate(application, issued_on=datetime.date(YEAR, 4, 1))
    after = certification_dashboard(scope=hangzhou, year=YEAR, today=TODAY)
    assert [(item.label, item.value) for item in after.figures] == [(item.label, item.value) for item in before.figures]
    assert [item.rows for item in after.tables] == [item.rows for item in before.tables]


def test_carers_count_once_at_their_highest_valid_certificate_of_the_day(base):
    home = InstitutionFactory(name="上城区儿童福利院", region=Region.objects.get(code="330102"))
    sessions = {
        level: make_session(base, level=level, starts=datetime.datetime(2025, 5, 5, 9)) for level in Level.values
    }

    def certified(person, level, issued_on, status=CertificateStatus.VALID):
        application = make_application(sessions[level], person, institution=home, outcome=Outcome.PASSED)
        make_certificate(application, issued_on=issued_on, status=status)

    two_levels = carer(home)
    certified(two_levels, 5, datetime.date(2024, 1, 1))
    certified(two_levels, 4, datetime.date(2025, 6, 1))
    revoked = carer(home)
    certified(revoked, 3, datetime.date(2025, 6, 1), CertificateStatus.REVOKED)
    certified(revoked, 5, datetime.date(2023, 6, 1))
    not_yet = carer(home)
    certified(not_yet, 4, TODAY + datetime.timedelta(days=1))
    carer(home)  # no certificate
    left = carer(home, end=TODAY - datetime.timedelta(days=1))
    certified(left, 2, datetime.date(2025, 6, 1))
    staff_only = carer(home, kind=PostKind.INSTITUTION_STAFF)
    certified(staff_only, 1, datetime.date(2025, 6, 1))
    # A second carer post in the same institution still counts the person once. It has an end date (after
    # today): the database keeps one open post of a kind per person and place (issue 12).
    PostFactory(person=two_levels, kind=PostKind.CARER, institution=home, region=home.region,
                start_date=datetime.date(2022, 1, 1), end_date=TODAY + datetime.timedelta(days=365))

    dashboard = certification_dashboard(scope=Scope.everything(), year=YEAR, today=TODAY)
    rows = {row["level"]: row["people"] for row in table(dashboard, "Carers by skill level").rows}
    assert rows == {
        str(Level.LEVEL_1.label): 0, str(Level.LEVEL_2.label): 0, str(Level.LEVEL_3.label): 0,
        str(Level.LEVEL_4.label): 1, str(Level.LEVEL_5.label): 1, "No certificate": 2,
    }
    assert figure(dashboard, "Carers").value == 4
    assert figure(dashboard, "Carers certified").value == pytest.approx(0.5)
    # On 31 December 2024 the level-4 certificate was not issued yet, and the carer who left was still there.
    past = certification_dashboard(scope=Scope.everything(), year=2024, today=TODAY)
    rows = {row["level"]: row["people"] for row in table(past, "Carers by skill level").rows}
    assert (rows[str(Level.LEVEL_5.label)], rows[str(Level.LEVEL_4.label)], rows["No certificate"]) == (2, 0, 3)


def test_pass_rates_leave_absent_candidates_and_carried_parts_out(base):
    home = InstitutionFactory(name="上城区儿童福利院", region=Region.objects.get(code="330102"))
    session = make_session(base, level=5, starts=datetime.datetime(YEAR, 3, 3, 9))
    earlier = make_session(base, level=5, starts=datetime.datetime(YEAR - 1, 3, 3, 9))
    outcomes = [Outcome.PASSED] * 3 + [Outcome.FAILED] + [Outcome.ABSENT] * 4 + [Outcome.PENDING]
    for outcome in outcomes:
        make_application(session, carer(home), institution=home, outcome=outcome)
    retaker = carer(home)
    first = make_application(earlier, retaker, institution=home, outcome=Outcome.FAILED)
    theory = PartResult.objects.create(application=first, part=Part.THEORY, pass_mark=60, score=70, passed=True)
    PartResult.objects.create(application=first, part=Part.SKILL, pass_mark=60, score=40, passed=False)
    retake = make_application(session, retaker, institution=home, outcome=Outcome.FAILED)
    PartResult.objects.create(
        application=retake, part=Part.THEORY, pass_mark=60, score=70, passed=True, carried_from=theory
    )
    PartResult.objects.create(application=retake, part=Part.SKILL, pass_mark=60, score=50, passed=False)

    dashboard = certification_dashboard(scope=Scope.everything(), year=YEAR, today=TODAY)
    level_5 = table(dashboard, "Pass rate by level").rows[-1]
    assert level_5["level"] == str(Level.LEVEL_5.label)
    assert (level_5["passed"], level_5["failed"], level_5["absent"]) == (3, 2, 4)
    assert level_5["rate"] == pytest.approx(3 / 5)
    assert "absent" in table(dashboard, "Pass rate by level").note.lower()
    parts = {row["part"]: row for row in table(dashboard, "Pass rate by part").rows}
    assert (parts[str(Part.THEORY.label)]["results"], parts[str(Part.SKILL.label)]["results"]) == (0, 1)
    assert parts[str(Part.SKILL.label)]["rate"] == 0
    assert figure(dashboard, "Applications").value == len(outcomes) + 1
    city = table(dashboard, "Pass rate by city").rows
    assert [(row["city"], row["rate"]) for row in city] == [("杭州市", pytest.approx(3 / 5))]


def test_certificates_per_year_fill_the_years_between(base):
    home = InstitutionFactory(name="上城区儿童福利院", region=Region.objects.get(code="330102"))
    issued = [(2022, CertificateStatus.VALID), (2022, CertificateStatus.REVOKED), (2025, CertificateStatus.VALID)]
    for year, status in issued:
        session = make_session(base, level=5, starts=datetime.datetime(year, 3, 3, 9))
        make_certificate(make_application(session, carer(home), institution=home, outcome=Outcome.PASSED),
                         issued_on=datetime.date(year, 4, 1), status=status)
    dashboard = certification_dashboard(scope=Scope.everything(), year=YEAR, today=TODAY)
    rows = table(dashboard, "Certificates issued per year").rows
    assert [(row["year"], row["issued"], row["valid"], row["revoked"]) for row in rows] == [
        ("2022", 2, 1, 1), ("2023", 0, 0, 0), ("2024", 0, 0, 0), ("2025", 1, 1, 0),
    ]
    chart = next(chart for chart in dashboard.charts if chart.title == "Certificates issued per year")
    assert chart.categories == ["2022", "2023", "2024", "2025"]
    assert [series.values for series in chart.series] == [[1, 0, 0, 1], [1, 0, 0, 0]]


def test_an_empty_scope_gives_empty_figures(base):
    dashboard = certification_dashboard(scope=Scope.nothing(), year=YEAR, today=TODAY)
    assert figure(dashboard, "Carers").value == 0
    assert figure(dashboard, "Carers certified").value is None
    assert figure(dashboard, "Pass rate").value is None
    assert table(dashboard, "Certificates issued per year").rows == []
