import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from academy.organisation.models import PostKind
from certification import applications
from certification.eligibility import eligibility_check, eligibility_reasons, years_in_posts
from certification.models import Application, Certificate
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def check(person, level, rule_set, **kwargs):
    return eligibility_check(person=person, level=level, rule_set=rule_set, on=timezone.localdate(), **kwargs)


def give_certificate(person, level, session):
    application = Application.objects.create(
        session=session, person=person, applied_by=person.user, status="approved", outcome="passed"
    )
    return Certificate.objects.create(
        number=f"S00013333000126{level}{person.pk:06d}", application=application, person=person, level=level,
        holder_name=person.name, issuer="中心", issued_on=timezone.localdate() - datetime.timedelta(days=30),
    )


def test_level_5_needs_a_year_and_180_hours(rule_set, carer_factory):
    assert check(carer_factory(years=1.1, hours=180), 5, rule_set)["eligible"]
    short_years = check(carer_factory(years=0.5, hours=200), 5, rule_set)
    assert not short_years["eligible"] and short_years["hours_ok"]
    short_hours = check(carer_factory(years=3, hours=100), 5, rule_set)
    assert not short_hours["eligible"] and not short_hours["hours_ok"]


def test_level_5_counts_related_institution_work(rule_set, carer_factory):
    staff = carer_factory(years=2, hours=200, kind=PostKind.INSTITUTION_STAFF)
    assert check(staff, 5, rule_set)["eligible"]
    # Level 4 without a certificate needs 6 years in the occupation itself.
    assert not check(staff, 4, rule_set)["eligible"]


def test_level_4_by_certificate_and_four_years_or_six_years_without(rule_set, carer_factory, session_factory):
    four_years = carer_factory(years=4.2, hours=170)
    assert not check(four_years, 4, rule_set)["eligible"]
    give_certificate(four_years, 5, session_factory(level=5))
    result = check(four_years, 4, rule_set)
    assert result["eligible"]
    assert [path["ok"] for path in result["paths"]] == [True, False]
    assert check(carer_factory(years=6.1, hours=170), 4, rule_set)["eligible"]


@pytest.mark.parametrize("level, prior, years, hours", [(3, 4, 5, 140), (2, 3, 4, 120), (1, 2, 4, 100)])
def test_higher_levels_need_the_level_below(rule_set, carer_factory, session_factory, level, prior, years, hours):
    person = carer_factory(years=years + 0.2, hours=hours)
    assert not check(person, level, rule_set)["eligible"]
    give_certificate(person, prior, session_factory(level=prior))
    assert check(person, level, rule_set)["eligible"]
    fewer_hours = carer_factory(years=years + 0.2, hours=hours - 1)
    give_certificate(fewer_hours, prior, session_factory(level=prior))
    assert not check(fewer_hours, level, rule_set)["eligible"]


def test_overlapping_posts_count_each_day_once(carer_factory):
    person = carer_factory(years=2, hours=0)
    first = person.posts.get()
    # Overlapping, with an end date: the database keeps one open post of a kind per person and place (issue 12).
    PostFactory(person=person, kind=PostKind.CARER, institution=first.institution, region=first.region,
                start_date=first.start_date + datetime.timedelta(days=100),
                end_date=timezone.localdate() + datetime.timedelta(days=365))
    assert years_in_posts(person=person, kinds={PostKind.CARER}, on=timezone.localdate()) == Decimal("2.0")


def test_external_hours_count_only_with_a_proof(rule_set, carer_factory):
    person = carer_factory(years=2, hours=100)
    without = check(person, 5, rule_set, external_hours=Decimal(90), has_proof=False)
    assert not without["eligible"]
    assert "proof" in " ".join(reason.text for reason in eligibility_reasons(without))
    assert check(person, 5, rule_set, external_hours=Decimal(90), has_proof=True)["eligible"]


def test_reasons_explain_each_rule(rule_set, carer_factory):
    reasons = eligibility_reasons(check(carer_factory(years=0.3, hours=50), 4, rule_set))
    assert len(reasons) == 3  # two ways to qualify and the hours
    assert not any(reason.ok for reason in reasons)
    assert "160" in reasons[-1].text and "50" in reasons[-1].text


def test_the_application_keeps_the_check_and_the_rules_version(session_factory, carer_factory):
    session = session_factory(level=5)
    person = carer_factory(years=2, hours=100)
    proof = SimpleUploadedFile("proof.pdf", b"%PDF-1.4 proof", content_type="application/pdf")
    application = applications.application_create(
        session=session, person=person, applied_by=person.user, external_hours=Decimal(90), proof=proof
    )
    assert application.is_eligible
    assert application.eligibility["rule_set_version"] == 1
    assert application.external_hours_proof.name
