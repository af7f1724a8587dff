"""The face-to-face session pages: organisers in and out of scope, enrolment, attendance, the check-in
code display and QR code, and trainees checking in."""
import datetime
import io
from decimal import Decimal

import pytest
import qrcode
import qrcode.image.svg
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from academy.organisation.models import Region
from courses.models import Attendance, SessionEnrolment, TrainingRecord, TrainingSession
from tests.factories import TrainingSessionFactory, UserFactory, make_scope_world, user_with_role

pytestmark = pytest.mark.django_db

ORGANISER_PAGES = [
    "courses:session_detail", "courses:session_edit", "courses:session_enrol", "courses:session_attendance",
    "courses:session_check_in_display", "courses:session_qr",
]


@pytest.fixture(autouse=True)
def _english_and_a_clear_cache(settings):
    """Messages are checked in English; the wrong-code counter lives in the cache, and person ids repeat
    from test to test."""
    settings.LANGUAGE_CODE = "en"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world():
    return make_scope_world()


@pytest.fixture
def county_admin(client):
    user = user_with_role("county_admin")  # 上城区
    client.force_login(user)
    return user


def _form_data(**changes):
    start = timezone.localtime() + datetime.timedelta(days=5)
    data = {
        "title": "儿童主任强制报告培训班",
        "starts_at": start.strftime("%Y-%m-%dT09:00"),
        "ends_at": start.strftime("%Y-%m-%dT12:00"),
        "venue": "上城区民政局三楼会议室",
        "capacity": "40",
        "credit_hours": "3",
        "description": "",
    }
    data.update(changes)
    return data


# --- Who may use the organiser pages --------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("courses:session_list"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


@pytest.mark.parametrize("role", ["trainee", "assessor", "editor"])
def test_people_who_are_not_administrators_are_refused(client, role):
    client.force_login(user_with_role(role))
    assert client.get(reverse("courses:session_list")).status_code == 403
    assert client.get(reverse("courses:session_create")).status_code == 403


def test_a_county_administrator_creates_a_session_in_their_county(client, county_admin):
    response = client.post(reverse("courses:session_create"), _form_data())

    session = TrainingSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("courses:session_enrol", args=[session.public_id])
    assert session.organiser_region_id == "330102" and session.created_by == county_admin
    assert len(session.check_in_code) == 6 and session.check_in_code.isdigit()
    assert timezone.localtime(session.starts_at).hour == 9


def test_a_session_must_end_after_it_starts_and_have_a_topic(client, county_admin):
    response = client.post(reverse("courses:session_create"), _form_data(title="", ends_at=_form_data()["starts_at"]))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "ends_at"}
    assert not TrainingSession.objects.exists()


def test_a_session_on_a_course_takes_the_course_title_and_hours(client, county_admin, course):
    client.post(reverse("courses:session_create"), _form_data(title="", credit_hours="", course=str(course.pk)))
    session = TrainingSession.objects.get()
    assert (session.title, session.credit_hours, session.course_id) == (course.title, course.credit_hours, course.pk)


def test_a_tier_administrator_cannot_choose_another_organiser(client, county_admin):
    client.post(reverse("courses:session_create"), _form_data(organiser_region="3302"))
    assert TrainingSession.objects.get().organiser_region_id == "330102"


def test_a_system_administrator_chooses_the_organiser(client):
    client.force_login(user_with_role("system_admin"))
    client.post(reverse("courses:session_create"), _form_data(organiser_region="3302"))
    assert TrainingSession.objects.get().organiser_region_id == "3302"


def test_the_list_shows_only_sessions_in_scope(client, county_admin):
    TrainingSessionFactory(title="上城区的培训班")
    TrainingSessionFactory(title="拱墅区的培训班", organiser_region=Region.objects.get(code="330105"))
    response = client.get(reverse("courses:session_list"))
    assert "上城区的培训班" in response.content.decode()
    assert "拱墅区的培训班" not in response.content.decode()


@pytest.mark.parametrize("page", ORGANISER_PAGES)
def test_another_countys_session_is_not_found_by_a_guessed_address(client, county_admin, page):
    neighbour = TrainingSessionFactory(organiser_region=Region.objects.get(code="330105"))
    assert client.get(reverse(page, args=[neighbour.public_id])).status_code == 404
    assert client.post(reverse(page, args=[neighbour.public_id]), {}).status_code in (404, 405)


@pytest.mark.parametrize("page", ORGANISER_PAGES)
def test_a_city_administrator_manages_the_sessions_of_its_counties(client, page):
    client.force_login(user_with_role("city_admin"))
    session = TrainingSessionFactory(organiser_region=Region.objects.get(code="330105"))
    assert client.get(reverse(page, args=[session.public_id])).status_code == 200


def test_editing_keeps_the_organiser_and_refuses_a_capacity_below_the_enrolled(client, county_admin, world):
    session = TrainingSessionFactory(capacity=3)
    SessionEnrolment.objects.create(session=session, person=world.home_director)
    SessionEnrolment.objects.create(session=session, person=world.home_supervisor)
    url = reverse("courses:session_edit", args=[session.public_id])

    response = client.post(url, _form_data(capacity="1"))
    assert response.status_code == 200 and "capacity" in response.context["form"].errors

    response = client.post(url, _form_data(capacity="2", venue="清波街道社工站"))
    session.refresh_from_db()
    assert response.status_code == 302 and (session.capacity, session.venue) == (2, "清波街道社工站")


# --- Enrolment -------------------------------------------------------------------------------------------


def test_the_people_list_holds_only_the_countys_people(client, county_admin, world):
    session = TrainingSessionFactory()
    response = client.get(reverse("courses:session_enrol", args=[session.public_id]))
    names = {person.name for person, _enrolled, _posts in response.context["rows"]}
    assert {"上城主任", "上城督导", "上城护理员"} <= names
    assert not names & {"拱墅主任", "市福利院院长", "省福利院院长", "海曙主任"}


def test_the_people_list_filters_by_post_and_region(client, county_admin, world):
    session = TrainingSessionFactory()
    url = reverse("courses:session_enrol", args=[session.public_id])
    by_kind = client.get(url, {"kind": "carer"}).context["rows"]
    assert [person.name for person, _e, _p in by_kind] == ["上城护理员"]
    by_township = client.get(url, {"region": "330102001"}).context["rows"]
    assert {person.name for person, _e, _p in by_township} == {"上城主任", "上城督导"}


def test_picked_people_are_enrolled(client, county_admin, world):
    session = TrainingSessionFactory()
    response = client.post(
        reverse("courses:session_enrol", args=[session.public_id]),
        {"action": "pick", "people": [world.home_director.pk, world.county_carer.pk]},
    )
    assert response.status_code == 302
    assert set(session.enrolments.values_list("person__name", flat=True)) == {"上城主任", "上城护理员"}


def test_another_countys_person_cannot_be_enrolled_by_a_forged_form(client, county_admin, world):
    session = TrainingSessionFactory()
    response = client.post(
        reverse("courses:session_enrol", args=[session.public_id]),
        {"action": "pick", "people": [world.home_director.pk, world.neighbour_director.pk]},
    )
    assert response.status_code == 200 and response.context["pick_form"].errors
    assert not session.enrolments.exists()


def test_enrolment_beyond_capacity_is_refused_with_a_message(client, county_admin, world):
    session = TrainingSessionFactory(capacity=1)
    response = client.post(
        reverse("courses:session_enrol", args=[session.public_id]),
        {"action": "pick", "people": [world.home_director.pk, world.county_carer.pk]}, follow=True,
    )
    assert "the capacity is 1" in response.content.decode() and not session.enrolments.exists()
    assert [message.level_tag for message in response.context["messages"]] == ["error"]


def test_an_uploaded_list_with_a_bad_row_enrols_nobody_and_names_the_row(client, county_admin, world):
    session = TrainingSessionFactory()
    content = "\n".join(["身份证号码", world.home_director.id_number, world.neighbour_director.id_number, "123"])
    response = client.post(
        reverse("courses:session_enrol", args=[session.public_id]),
        {"action": "import", "file": SimpleUploadedFile("名单.csv", content.encode())},
    )
    assert response.status_code == 200
    assert [error.row for error in response.context["import_errors"]] == [3, 4]
    assert not session.enrolments.exists()


def test_a_good_uploaded_list_is_enrolled(client, county_admin, world):
    session = TrainingSessionFactory()
    content = "\n".join([world.home_director.id_number, world.county_carer.mobile])
    response = client.post(
        reverse("courses:session_enrol", args=[session.public_id]),
        {"action": "import", "file": SimpleUploadedFile("名单.csv", content.encode())},
    )
    assert response.status_code == 302
    assert session.enrolments.count() == 2


def test_a_list_that_is_not_csv_or_excel_is_refused(client, county_admin):
    session = TrainingSessionFactory()
    response = client.post(
        reverse("courses:session_enrol", args=[session.public_id]),
        {"action": "import", "file": SimpleUploadedFile("名单.pdf", b"%PDF")},
    )
    assert "file" in response.context["import_form"].errors


def test_an_enrolment_by_mistake_is_removed(client, county_admin, world):
    session = TrainingSessionFactory()
    enrolment = SessionEnrolment.objects.create(session=session, person=world.home_director)
    url = reverse("courses:session_enrol", args=[session.public_id])
    client.post(url, {"action": "remove", "enrolment": enrolment.pk})
    assert not session.enrolments.exists()


# --- Attendance ------------------------------------------------------------------------------------------


def test_the_attendance_form_marks_present_partial_and_absent(client, county_admin, world):
    session = TrainingSessionFactory(credit_hours=4)
    present, partial, absent, unmarked = (
        SessionEnrolment.objects.create(session=session, person=person)
        for person in (world.home_director, world.home_supervisor, world.county_carer, world.former_director)
    )
    url = reverse("courses:session_attendance", args=[session.public_id])
    data = {
        f"attendance_{present.pk}": "present",
        f"attendance_{partial.pk}": "partial", f"hours_{partial.pk}": "2.5",
        f"attendance_{absent.pk}": "absent",
    }

    response = client.post(url, data)

    assert response.status_code == 302
    records = {record.person_id: record for record in TrainingRecord.objects.filter(session=session)}
    assert set(records) == {world.home_director.pk, world.home_supervisor.pk}
    assert records[world.home_director.pk].credit_hours == 4 and records[world.home_director.pk].counts_as_completion
    assert records[world.home_supervisor.pk].credit_hours == Decimal("2.5")
    assert not records[world.home_supervisor.pk].counts_as_completion
    unmarked.refresh_from_db()
    assert unmarked.attendance == Attendance.UNMARKED

    # The same form again changes nothing and writes no second record.
    client.post(url, data)
    assert TrainingRecord.objects.filter(session=session).count() == 2


def test_partial_attendance_needs_hours_within_the_session(client, county_admin, world):
    session = TrainingSessionFactory(credit_hours=4)
    enrolment = SessionEnrolment.objects.create(session=session, person=world.home_director)
    url = reverse("courses:session_attendance", args=[session.public_id])

    for hours in ("", "5"):
        response = client.post(url, {f"attendance_{enrolment.pk}": "partial", f"hours_{enrolment.pk}": hours})
        assert response.status_code == 200 and f"hours_{enrolment.pk}" in response.context["form"].errors
    assert not TrainingRecord.objects.exists()


def test_a_row_left_blank_does_not_undo_a_check_in(client, county_admin, world):
    session = TrainingSessionFactory()
    checked_in = SessionEnrolment.objects.create(session=session, person=world.home_director, attendance="present")
    client.post(reverse("courses:session_attendance", args=[session.public_id]), {})
    checked_in.refresh_from_db()
    assert checked_in.attendance == Attendance.PRESENT


# --- Code display and QR code ----------------------------------------------------------------------------


def test_the_display_shows_the_code_and_the_qr_code(client, county_admin):
    session = TrainingSessionFactory(check_in_code="482916")
    response = client.get(reverse("courses:session_check_in_display", args=[session.public_id]))
    page = response.content.decode()
    assert "482" in page and "916" in page
    assert reverse("courses:session_qr", args=[session.public_id]) in page


def test_the_qr_code_is_an_svg_of_the_absolute_check_in_address(client, county_admin):
    session = TrainingSessionFactory()
    response = client.get(reverse("courses:session_qr", args=[session.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content and b"<path" in response.content

    # The same address encoded independently gives the same picture.
    address = "http://testserver" + reverse("courses:check_in_by_qr", args=[session.public_id])
    expected = io.BytesIO()
    qrcode.make(address, image_factory=qrcode.image.svg.SvgPathImage, border=2).save(expected)
    assert response.content == expected.getvalue()


# --- Trainees checking in --------------------------------------------------------------------------------


@pytest.fixture
def director(client, world):
    user = UserFactory(person=world.home_director)
    client.force_login(user)
    return world.home_director


def _session_starting_in(minutes, **fields):
    start = timezone.now() + datetime.timedelta(minutes=minutes)
    return TrainingSessionFactory(starts_at=start, ends_at=start + datetime.timedelta(hours=2), **fields)


def test_a_trainee_checks_in_with_the_code(client, director):
    session = _session_starting_in(10, check_in_code="135792", credit_hours=2)
    SessionEnrolment.objects.create(session=session, person=director)

    response = client.post(reverse("courses:check_in"), {"code": "135792"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("courses:check_in")
    assert [message.level_tag for message in response.context["messages"]] == ["success"]
    assert TrainingRecord.objects.get(person=director, session=session).credit_hours == 2


@pytest.mark.parametrize("minutes, words", [(45, "opens"), (-180, "closed")])
def test_a_check_in_outside_the_window_is_refused_with_the_reason(client, director, minutes, words):
    session = _session_starting_in(minutes, check_in_code="135792")
    SessionEnrolment.objects.create(session=session, person=director)

    response = client.post(reverse("courses:check_in"), {"code": "135792"})

    assert response.status_code == 200 and words in response.content.decode()
    assert not TrainingRecord.objects.exists()


def test_a_wrong_code_is_refused_on_the_page(client, director):
    SessionEnrolment.objects.create(session=_session_starting_in(10, check_in_code="135792"), person=director)
    response = client.post(reverse("courses:check_in"), {"code": "135793"})
    assert response.status_code == 200 and response.context["form"].errors
    assert not TrainingRecord.objects.exists()


def test_the_check_in_page_lists_the_trainees_coming_sessions(client, director):
    SessionEnrolment.objects.create(session=_session_starting_in(60 * 24, title="下周的培训班"), person=director)
    _session_starting_in(60, title="别人的培训班")
    page = client.get(reverse("courses:check_in")).content.decode()
    assert "下周的培训班" in page and "别人的培训班" not in page


def test_an_account_without_a_person_gets_a_clear_message(client):
    client.force_login(user_with_role("county_admin"))
    response = client.get(reverse("courses:check_in"))
    assert response.status_code == 200 and response.context["no_person"]
    session = _session_starting_in(10)
    response = client.post(reverse("courses:check_in_by_qr", args=[session.public_id]))
    assert response.status_code == 200 and response.context["no_person"]


def test_the_qr_link_asks_first_and_checks_in_on_the_button(client, director):
    session = _session_starting_in(-20)
    SessionEnrolment.objects.create(session=session, person=director)
    url = reverse("courses:check_in_by_qr", args=[session.public_id])

    response = client.get(url)
    assert response.status_code == 200 and response.context["problem"] is None
    assert not TrainingRecord.objects.exists()  # opening the link alone never checks in

    assert client.post(url).status_code == 302
    assert TrainingRecord.objects.filter(person=director, session=session).count() == 1


def test_the_qr_link_tells_someone_not_enrolled_to_ask_the_organiser(client, director):
    session = _session_starting_in(-20)
    url = reverse("courses:check_in_by_qr", args=[session.public_id])
    assert "not enrolled" in client.get(url).context["problem"]
    assert client.post(url).status_code == 200
    assert not SessionEnrolment.objects.exists() and not TrainingRecord.objects.exists()


def test_the_qr_link_needs_signing_in(client):
    session = _session_starting_in(10)
    response = client.get(reverse("courses:check_in_by_qr", args=[session.public_id]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
