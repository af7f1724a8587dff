"""Face-to-face sessions: scope, enrolment (pick and import), attendance and check-in, and the training
records they write."""
import datetime
import io
import time
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from academy.organisation.models import Region
from academy.organisation.scope import scope_for
from courses import sessions
from courses.completion import course_status
from courses.models import Attendance, SessionEnrolment, TrainingRecord, TrainingSession, TrainingSource
from tests.factories import TrainingSessionFactory, make_id_number, make_scope_world, user_with_role
from tests.hostile import xlsx_with_a_huge_cell, xlsx_with_rows

pytestmark = pytest.mark.django_db


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


def _enrolment(session, person):
    return SessionEnrolment.objects.get(session=session, person=person)


def _mark(session, person, attendance, hours=None):
    return sessions.attendance_mark(
        session=session, marks=[sessions.AttendanceMark(_enrolment(session, person).pk, attendance, hours)]
    )


# --- Sessions and scope ----------------------------------------------------------------------------------


def test_a_new_session_gets_a_six_digit_check_in_code():
    start = timezone.now() + datetime.timedelta(days=3)
    session = sessions.session_create(
        organiser_region=Region.objects.get(code="330102"), title=" 强制报告培训 ", starts_at=start,
        ends_at=start + datetime.timedelta(hours=3), venue="会议室", capacity=20, credit_hours=Decimal("3"),
    )
    assert len(session.check_in_code) == 6 and session.check_in_code.isdigit()
    assert session.title == "强制报告培训"


def test_a_new_session_never_shares_its_code_with_a_coming_session(monkeypatch):
    TrainingSessionFactory(check_in_code="111111")
    codes = iter(["111111", "222222"])
    monkeypatch.setattr(sessions, "new_check_in_code", lambda: next(codes))
    start = timezone.now() + datetime.timedelta(days=1)
    session = sessions.session_create(
        organiser_region=Region.objects.get(code="330102"), title="培训", starts_at=start,
        ends_at=start + datetime.timedelta(hours=1), venue="会议室", capacity=5, credit_hours=Decimal("1"),
    )
    assert session.check_in_code == "222222"


def test_administrators_see_only_sessions_organised_inside_their_scope():
    home = TrainingSessionFactory(organiser_region=Region.objects.get(code="330102"))
    neighbour = TrainingSessionFactory(organiser_region=Region.objects.get(code="330105"))
    city = TrainingSessionFactory(organiser_region=Region.objects.get(code="3301"))
    other_city = TrainingSessionFactory(organiser_region=Region.objects.get(code="3302"))

    def seen(role):
        return set(sessions.sessions_in_scope(scope=scope_for(user_with_role(role))))

    assert seen("county_admin") == {home}
    assert seen("city_admin") == {home, neighbour, city}
    assert seen("province_admin") == seen("system_admin") == {home, neighbour, city, other_city}
    assert seen("trainee") == set()


def test_updating_a_session_updates_the_records_of_its_attendance(world):
    session = TrainingSessionFactory()
    sessions.session_enrol(session=session, people=[world.home_director])
    _mark(session, world.home_director, Attendance.PRESENT)

    sessions.session_update(session=session, title="新标题", credit_hours=Decimal("6"))

    record = TrainingRecord.objects.get(session=session)
    assert (record.title, record.credit_hours) == ("新标题", Decimal("6"))


def test_capacity_and_credit_hours_cannot_drop_below_what_is_already_taken(world):
    session = TrainingSessionFactory(capacity=5)
    sessions.session_enrol(session=session, people=[world.home_director, world.home_supervisor])
    _mark(session, world.home_director, Attendance.PARTIAL, Decimal("3"))

    with pytest.raises(ValidationError) as error:
        sessions.session_update(session=session, capacity=1)
    assert "capacity" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        sessions.session_update(session=session, credit_hours=Decimal("2"))
    assert "credit_hours" in error.value.message_dict
    session.refresh_from_db()
    assert (session.capacity, session.credit_hours) == (5, Decimal("4"))


# --- Enrolment -------------------------------------------------------------------------------------------


def test_a_county_session_enrols_only_people_of_that_county(world):
    session = TrainingSessionFactory(organiser_region=Region.objects.get(code="330102"))

    with pytest.raises(ValidationError):
        sessions.session_enrol(session=session, people=[world.home_director, world.neighbour_director])

    assert not session.enrolments.exists()
    assert sessions.session_enrol(session=session, people=[world.home_director, world.county_carer]) == 2


def test_enrolment_beyond_capacity_is_refused_and_enrols_nobody(world):
    session = TrainingSessionFactory(capacity=2)
    people = [world.home_director, world.home_supervisor, world.county_carer]

    with pytest.raises(ValidationError) as error:
        sessions.session_enrol(session=session, people=people)
    assert "the capacity is 2" in error.value.messages[0]
    assert not session.enrolments.exists()

    assert sessions.session_enrol(session=session, people=people[:2]) == 2
    # Enrolling the same people again takes no place; one more does not fit.
    assert sessions.session_enrol(session=session, people=people[:2]) == 0
    with pytest.raises(ValidationError):
        sessions.session_enrol(session=session, people=people[2:])
    assert session.enrolments.count() == 2


def test_someone_who_attended_cannot_be_unenrolled(world):
    session = TrainingSessionFactory()
    sessions.session_enrol(session=session, people=[world.home_director, world.home_supervisor])
    _mark(session, world.home_director, Attendance.PRESENT)

    with pytest.raises(ValidationError):
        sessions.session_unenrol(enrolment=_enrolment(session, world.home_director))
    sessions.session_unenrol(enrolment=_enrolment(session, world.home_supervisor))
    assert list(session.enrolments.values_list("person__name", flat=True)) == ["上城主任"]


def _csv(*lines, encoding="utf-8"):
    return SimpleUploadedFile("list.csv", "\n".join(lines).encode(encoding), content_type="text/csv")


def _xlsx(*values):
    workbook = Workbook()
    for value in values:
        workbook.active.append([value])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("list.xlsx", buffer.getvalue())


def test_a_list_of_id_and_mobile_numbers_finds_the_people(world):
    session = TrainingSessionFactory()
    upload = _csv("身份证号码(18位)", world.home_director.id_number, "139 0000 0002", "", world.home_director.mobile)

    checked = sessions.enrolment_file_check(session=session, upload=upload)

    assert checked.errors == []
    assert checked.people == [world.home_director, world.home_supervisor]  # the director listed twice counts once


def test_a_list_with_bad_rows_names_each_row_and_enrols_nobody(world):
    session = TrainingSessionFactory()
    wrong_check_character = world.home_supervisor.id_number[:17] + (
        "0" if world.home_supervisor.id_number[17] != "0" else "1"
    )
    upload = _csv(
        world.home_director.id_number,  # row 1: fine
        wrong_check_character,  # row 2
        "3.30102E+17",  # row 3: a spreadsheet's number
        "13800000000",  # row 4: nobody has this mobile
        world.neighbour_director.id_number,  # row 5: another county's person
        make_id_number(),  # row 6: nobody has this number
    )

    checked = sessions.enrolment_file_check(session=session, upload=upload)

    assert [error.row for error in checked.errors] == [2, 3, 4, 5, 6]
    assert "spreadsheet" in checked.errors[1].message
    assert not session.enrolments.exists()


def test_an_excel_list_is_read_and_an_id_number_stored_as_a_number_is_explained(world):
    session = TrainingSessionFactory()
    good = sessions.enrolment_file_check(
        session=session, upload=_xlsx("身份证号", world.home_director.id_number, int(world.home_supervisor.mobile))
    )
    assert good.errors == [] and good.people == [world.home_director, world.home_supervisor]

    bad = sessions.enrolment_file_check(session=session, upload=_xlsx(float(world.county_carer.id_number[:17] + "1")))
    assert [error.row for error in bad.errors] == [1]
    assert "spreadsheet" in bad.errors[0].message


def test_a_csv_saved_by_chinese_excel_is_read(world):
    session = TrainingSessionFactory()
    upload = _csv("手机号码", world.home_supervisor.mobile, encoding="gb18030")
    assert sessions.enrolment_file_check(session=session, upload=upload).people == [world.home_supervisor]


def test_a_file_that_is_not_a_list_is_refused_as_a_whole():
    session = TrainingSessionFactory()
    not_a_workbook = SimpleUploadedFile("list.xlsx", b"not a zip file")
    assert [error.row for error in sessions.enrolment_file_check(session=session, upload=not_a_workbook).errors] == [0]
    assert sessions.enrolment_file_check(session=session, upload=_csv("姓名")).errors[0].row == 0


def test_sessions_for_person_lists_their_sessions_latest_first(world):
    earlier = TrainingSessionFactory(starts_at=timezone.now() + datetime.timedelta(days=1))
    later = TrainingSessionFactory(starts_at=timezone.now() + datetime.timedelta(days=9))
    TrainingSessionFactory()  # not enrolled
    for session in (earlier, later):
        sessions.session_enrol(session=session, people=[world.home_director])

    assert [enrolment.session for enrolment in sessions.sessions_for_person(world.home_director)] == [later, earlier]
    assert list(sessions.sessions_for_person(world.home_director, year=later.year - 1)) == []


# --- Attendance ------------------------------------------------------------------------------------------


@pytest.fixture
def marked_session(world, course):
    session = TrainingSessionFactory(course=course, credit_hours=Decimal("4"))
    sessions.session_enrol(session=session, people=[world.home_director, world.home_supervisor, world.county_carer])
    return session


def test_present_writes_a_completion_record_of_the_session_hours(world, marked_session):
    assert _mark(marked_session, world.home_director, Attendance.PRESENT) == 1

    record = TrainingRecord.objects.get(person=world.home_director)
    assert record.source == TrainingSource.FACE_TO_FACE
    assert record.session == marked_session and record.course == marked_session.course
    assert record.title == marked_session.title
    assert record.completed_on == timezone.localdate(marked_session.starts_at)
    assert record.year == marked_session.year
    assert record.credit_hours == Decimal("4") and record.counts_as_completion


def test_attending_a_session_on_a_course_completes_the_course(world, marked_session):
    _mark(marked_session, world.home_director, Attendance.PRESENT)
    _mark(marked_session, world.home_supervisor, Attendance.PARTIAL, Decimal("2"))

    def complete(person):
        return course_status(person=person, course=marked_session.course, year=marked_session.year).is_complete

    assert complete(world.home_director) and not complete(world.home_supervisor)


def test_partial_attendance_credits_its_hours_without_completing(world, marked_session):
    _mark(marked_session, world.home_supervisor, Attendance.PARTIAL, Decimal("1.5"))

    record = TrainingRecord.objects.get(person=world.home_supervisor)
    assert record.credit_hours == Decimal("1.5") and not record.counts_as_completion


def test_partial_hours_must_be_within_the_session_hours(world, marked_session):
    for hours in (None, Decimal("0"), Decimal("4.5")):
        with pytest.raises(ValidationError):
            _mark(marked_session, world.home_supervisor, Attendance.PARTIAL, hours)
    assert not TrainingRecord.objects.exists()


def test_absent_writes_no_record(world, marked_session):
    _mark(marked_session, world.county_carer, Attendance.ABSENT)
    assert not TrainingRecord.objects.exists()


def test_correcting_present_to_absent_removes_the_record(world, marked_session):
    _mark(marked_session, world.home_director, Attendance.PRESENT)
    _mark(marked_session, world.home_director, Attendance.ABSENT)
    assert not TrainingRecord.objects.filter(person=world.home_director).exists()


def test_marking_twice_never_makes_two_records(world, marked_session):
    assert _mark(marked_session, world.home_director, Attendance.PRESENT) == 1
    assert _mark(marked_session, world.home_director, Attendance.PRESENT) == 0
    _mark(marked_session, world.home_director, Attendance.PARTIAL, Decimal("2"))
    _mark(marked_session, world.home_director, Attendance.PRESENT)

    record = TrainingRecord.objects.get(person=world.home_director)
    assert record.credit_hours == Decimal("4") and record.counts_as_completion


def test_only_the_sessions_own_enrolments_can_be_marked(world, marked_session):
    other = TrainingSessionFactory()
    sessions.session_enrol(session=other, people=[world.home_director])
    with pytest.raises(ValidationError):
        sessions.attendance_mark(
            session=marked_session,
            marks=[sessions.AttendanceMark(_enrolment(other, world.home_director).pk, Attendance.PRESENT)],
        )


# --- Check-in --------------------------------------------------------------------------------------------


@pytest.fixture
def today_session(world):
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(hours=1)
    session = TrainingSessionFactory(
        starts_at=start, ends_at=start + datetime.timedelta(hours=3), check_in_code="246810", credit_hours=3
    )
    sessions.session_enrol(session=session, people=[world.home_director])
    return session


def test_check_in_with_the_code_inside_the_window_marks_present_and_writes_the_record(world, today_session):
    moment = today_session.starts_at + datetime.timedelta(minutes=10)

    result = sessions.check_in_with_code(person=world.home_director, code=" 246 810 ", now=moment)

    assert not result.already
    enrolment = _enrolment(today_session, world.home_director)
    assert enrolment.attendance == Attendance.PRESENT and enrolment.checked_in_at == moment
    record = TrainingRecord.objects.get(person=world.home_director, session=today_session)
    assert record.credit_hours == Decimal("3") and record.counts_as_completion


def test_check_in_opens_thirty_minutes_before_the_start(world, today_session):
    with pytest.raises(sessions.CheckInRefused) as refusal:
        sessions.check_in_with_code(
            person=world.home_director, code="246810", now=today_session.starts_at - datetime.timedelta(minutes=31)
        )
    assert "opens" in refusal.value.message
    assert not TrainingRecord.objects.exists()

    sessions.check_in_with_code(
        person=world.home_director, code="246810", now=today_session.starts_at - datetime.timedelta(minutes=29)
    )
    assert TrainingRecord.objects.count() == 1


def test_check_in_after_the_end_is_refused(world, today_session):
    with pytest.raises(sessions.CheckInRefused) as refusal:
        sessions.check_in_with_code(
            person=world.home_director, code="246810", now=today_session.ends_at + datetime.timedelta(minutes=1)
        )
    assert "closed" in refusal.value.message
    assert _enrolment(today_session, world.home_director).attendance == Attendance.UNMARKED
    assert not TrainingRecord.objects.exists()


def test_a_wrong_code_is_refused(world, today_session):
    moment = today_session.starts_at
    for code in ("135799", "12345", "abcdef"):
        with pytest.raises(sessions.CheckInRefused):
            sessions.check_in_with_code(person=world.home_director, code=code, now=moment)
    assert not TrainingRecord.objects.exists()


def test_full_width_digits_from_a_chinese_keyboard_are_accepted(world, today_session):
    sessions.check_in_with_code(person=world.home_director, code="２４６８１０", now=today_session.starts_at)
    assert TrainingRecord.objects.count() == 1


def test_someone_not_enrolled_cannot_check_in(world, today_session):
    """No walk-ins by self check-in: the organiser enrols a walk-in (in scope, within capacity) first."""
    moment = today_session.starts_at
    with pytest.raises(sessions.CheckInRefused) as refusal:
        sessions.check_in_with_code(person=world.home_supervisor, code="246810", now=moment)
    assert "not enrolled" in refusal.value.message
    with pytest.raises(sessions.CheckInRefused):
        sessions.check_in_to_session(person=world.home_supervisor, session=today_session, now=moment)
    assert not TrainingRecord.objects.exists()


def test_guessing_codes_is_stopped(world, today_session):
    moment = today_session.starts_at
    for guess in range(sessions.CHECK_IN_MAX_FAILURES):
        with pytest.raises(sessions.CheckInRefused):
            sessions.check_in_with_code(person=world.home_director, code=f"{guess:06d}", now=moment)
    with pytest.raises(sessions.CheckInRefused) as refusal:
        sessions.check_in_with_code(person=world.home_director, code="246810", now=moment)
    assert "Too many" in refusal.value.message


def test_checking_in_twice_is_harmless(world, today_session):
    first = sessions.check_in_to_session(person=world.home_director, session=today_session, now=today_session.starts_at)
    second = sessions.check_in_with_code(
        person=world.home_director, code="246810", now=today_session.starts_at + datetime.timedelta(minutes=5)
    )
    after_the_end = sessions.check_in_to_session(
        person=world.home_director, session=today_session, now=today_session.ends_at + datetime.timedelta(hours=1)
    )
    assert second.already and after_the_end.already
    assert second.enrolment.checked_in_at == first.enrolment.checked_in_at
    assert TrainingRecord.objects.count() == 1


def test_a_first_row_of_data_is_not_taken_for_a_heading(world):
    session = TrainingSessionFactory()
    checked = sessions.enrolment_file_check(session=session, upload=_csv("3.30102E+17", world.home_director.mobile))
    assert [error.row for error in checked.errors] == [1]


def test_check_in_keeps_partial_attendance_the_organiser_credited(world, today_session):
    _mark(today_session, world.home_director, Attendance.PARTIAL, Decimal("1"))
    sessions.check_in_to_session(person=world.home_director, session=today_session, now=today_session.starts_at)
    assert TrainingRecord.objects.get(person=world.home_director).credit_hours == Decimal("1")


def test_the_enrolled_session_is_meant_when_an_old_session_had_the_same_code(world, today_session):
    past_start = today_session.starts_at - datetime.timedelta(days=60)
    old = TrainingSessionFactory(
        starts_at=past_start, ends_at=past_start + datetime.timedelta(hours=2), check_in_code="246810"
    )
    sessions.session_enrol(session=old, people=[world.home_director])

    result = sessions.check_in_with_code(person=world.home_director, code="246810", now=today_session.starts_at)

    assert result.enrolment.session == today_session
    assert TrainingSession.objects.get(pk=old.pk).records.count() == 0


# Hostile lists: refused before they are parsed, whole, with a message; nobody enrolled.


def _refused_quickly(session, upload) -> str:
    started = time.monotonic()
    checked = sessions.enrolment_file_check(session=session, upload=upload)
    assert time.monotonic() - started < 3
    assert not checked.people and [error.row for error in checked.errors] == [0]
    return checked.errors[0].message


def test_a_list_whose_cell_holds_300_mb_is_refused_before_parsing(db):
    upload = SimpleUploadedFile("list.xlsx", xlsx_with_a_huge_cell())
    assert "unpacks to 300 MB" in _refused_quickly(TrainingSessionFactory(), upload)


@pytest.mark.parametrize("declared", [None, "A1:A1"])
def test_a_list_of_110000_rows_is_refused_whatever_its_sheet_declares(db, declared):
    upload = SimpleUploadedFile("list.xlsx", xlsx_with_rows(110_000, header=["身份证号码"], declared=declared))
    assert "more than 2000 rows" in _refused_quickly(TrainingSessionFactory(), upload)


def test_a_csv_list_with_an_endless_cell_is_refused(db):
    upload = SimpleUploadedFile("list.csv", b"id\n" + b"3" * 200_000 + b"\n")
    message = _refused_quickly(TrainingSessionFactory(), upload)
    assert "could not be read" in message or "more than 1000 characters" in message
