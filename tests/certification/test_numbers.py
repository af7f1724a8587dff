"""Certificate numbers: the national 22-character rule, one serial per centre, year and level, never reused."""
import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError

from certification.certificates import certificate_issue, certificate_revoke
from certification.models import CertificateSerial
from certification.numbers import certificate_number_allocate, certificate_number_is_well_formed
from tests.factories import ISSUED_ON, AssessmentCentreFactory, make_application


def allocate(centre, year=2026, level=4):
    with transaction.atomic():
        return certificate_number_allocate(centre=centre, year=year, level=level)


@pytest.mark.django_db
def test_the_first_number_follows_the_national_rule(county_centre):
    number = allocate(county_centre)
    # S + organisation 0001 + province 33 + site 000001 + year 26 + level 4 + serial 000001
    assert number == "S000133000001264000001"
    assert len(number) == 22 and certificate_number_is_well_formed(number)


@pytest.mark.django_db
def test_the_serial_goes_up_by_one(county_centre):
    assert [allocate(county_centre) for _ in range(3)] == [
        "S000133000001264000001", "S000133000001264000002", "S000133000001264000003",
    ]
    assert CertificateSerial.objects.get(prefix="S000133000001264").last == 3


@pytest.mark.django_db
def test_each_centre_year_and_level_counts_on_its_own(county_centre):
    employer_centre = AssessmentCentreFactory(name="杭州市儿童福利院评价站", kind="Y", organisation_code="0207", site_serial="000042")
    allocate(county_centre)
    allocate(county_centre)
    assert allocate(county_centre, level=3) == "S000133000001263000001"
    assert allocate(county_centre, year=2027) == "S000133000001274000001"
    assert allocate(employer_centre) == "Y020733000042264000001"
    assert allocate(county_centre) == "S000133000001264000003"


@pytest.mark.django_db
def test_a_revoked_certificates_number_is_never_given_again(passed_application, signed_off_session, admin_user):
    first = certificate_issue(application=passed_application, issued_on=ISSUED_ON)
    certificate_revoke(certificate=first, user=admin_user, reason="材料不实")
    second = certificate_issue(application=make_application(signed_off_session, name="李娜"), issued_on=ISSUED_ON)
    assert first.number == "S000133000001264000001"
    assert second.number == "S000133000001264000002"
    first.refresh_from_db()
    assert first.number == "S000133000001264000001" and first.status == "revoked"


@pytest.mark.django_db(transaction=True)
def test_a_number_is_only_taken_inside_the_callers_transaction():
    # The serial's lock must last until the certificate is saved: outside a transaction it would not.
    unsaved_centre = AssessmentCentreFactory.build(region=None)
    with pytest.raises(TransactionManagementError):
        certificate_number_allocate(centre=unsaved_centre, year=2026, level=4)
    assert not CertificateSerial.objects.exists()


@pytest.mark.django_db
def test_years_and_levels_outside_the_rule_are_refused(county_centre):
    with pytest.raises(ValueError):
        allocate(county_centre, year=1999)
    with pytest.raises(ValueError):
        allocate(county_centre, level=6)


@pytest.mark.parametrize("number, well_formed", [
    ("S000133000001264000017", True),
    ("Y020733000042261999999", True),
    ("s000133000001264000017", False),  # the letter is a capital
    ("X000133000001264000017", False),  # only Y or S
    ("S00013300000126400001", False),  # 21 characters
    ("S0001330000012640000170", False),  # 23 characters
    ("S000133000001266000017", False),  # level 6 does not exist
    ("S000133000001260000017", False),  # nor level 0
    ("S00013300000126400001A", False),
    ("", False),
])
def test_well_formed_numbers(number, well_formed):
    assert certificate_number_is_well_formed(number) is well_formed
