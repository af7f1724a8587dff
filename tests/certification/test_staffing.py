import pytest
from django.db import connection

from certification import staffing
from certification.models import Room, StaffAssignment, StaffRole
from certification.scoring import ScoringRefused, score_record, session_open_scoring
from tests.races import race

pytestmark = pytest.mark.django_db


def test_scoring_does_not_open_until_the_staffing_rules_hold(session_factory, carer_factory, make_candidate, staff_factory):
    session = session_factory(level=5)
    make_candidate(session, carer_factory())
    staff_factory(session, chief=0, skill=2, invigilators=1)
    problems = " ".join(staffing.staffing_problems(session))
    assert "chief" in problems
    assert "have no room" in problems
    assert "At least 3" in problems
    with pytest.raises(ScoringRefused):
        session_open_scoring(session=session)

    staffing.rooms_assign(session=session)
    assert "Room 101 needs at least 2 invigilators; it has 1." in staffing.staffing_problems(session)
    staff_factory(session, chief=1, skill=1, invigilators=1)
    assert staffing.staffing_problems(session) == []
    session_open_scoring(session=session)
    session.refresh_from_db()
    assert session.status == "scoring"


def test_one_invigilator_per_fifteen_theory_candidates(session_factory, carer_factory, make_candidate, staff_factory):
    session = session_factory(level=5, capacity=40)
    for _ in range(31):
        make_candidate(session, carer_factory())
    staff = staff_factory(session, invigilators=2)
    Room.objects.filter(pk=staff.room.pk).update(capacity=40)
    staffing.rooms_assign(session=session)
    problems = staffing.staffing_problems(session)
    assert "31 theory candidates need at least 3 invigilators; there are 2." in problems
    staff_factory(session, chief=0, skill=0, invigilators=1)
    assert staffing.staffing_problems(session) == []


def test_a_room_holds_no_more_than_its_seats(session_factory, carer_factory, make_candidate, staff_factory):
    session = session_factory(level=5)
    staff = staff_factory(session)
    Room.objects.filter(pk=staff.room.pk).update(capacity=1)
    for _ in range(2):
        make_candidate(session, carer_factory())
    assert staffing.rooms_assign(session=session) == 1
    assert "1 theory candidates have no room." in staffing.staffing_problems(session)


def test_the_review_panel_is_odd_and_at_least_three(session_factory, carer_factory, make_candidate, staff_factory):
    session = session_factory(level=2)
    staff_factory(session, review=4)
    problems = " ".join(staffing.staffing_problems(session))
    assert "must be odd" in problems


def test_an_assessor_is_never_given_a_candidate_of_their_own_institution(
    session_factory, carer_factory, make_candidate, staff_factory, assessor_factory, institution_a, institution_b
):
    session = session_factory(level=5)
    from_a = make_candidate(session, carer_factory(institution=institution_a))
    from_b = make_candidate(session, carer_factory(institution=institution_b))
    staff = staff_factory(session, skill=2)
    colleague_of_a = assessor_factory(institution=institution_a)
    staffing.staff_assign(session=session, user=colleague_of_a, role=StaffRole.SKILL_ASSESSOR)
    staffing.rooms_assign(session=session)

    # Three skill assessors in all, but only two may score the candidate from A: scoring cannot open.
    problems = staffing.staffing_problems(session)
    assert len(problems) == 1 and from_a.person.name in problems[0]
    assert staffing.is_conflicted(user=colleague_of_a, application=from_a)
    assert not staffing.is_conflicted(user=colleague_of_a, application=from_b)

    staff_factory(session, chief=0, skill=1, invigilators=0)
    session_open_scoring(session=session)
    with pytest.raises(ScoringRefused, match="own institution"):
        score_record(application=from_a, part="skill", user=colleague_of_a, items={})
    rubric_items = {str(item.pk): item.points for item in session.rule_set.rubric_items.filter(level=5)}
    assert score_record(application=from_b, part="skill", user=colleague_of_a, items=rubric_items).value == 100
    assert staff.chief is not None


def test_a_chief_from_a_candidates_institution_stops_scoring_from_opening(
    session_factory, carer_factory, make_candidate, staff_factory, assessor_factory, institution_a, institution_b
):
    session = session_factory(level=5)
    from_a = make_candidate(session, carer_factory(institution=institution_a))
    make_candidate(session, carer_factory(institution=institution_b))
    staff_factory(session, chief=0)
    staffing.rooms_assign(session=session)
    staffing.staff_assign(session=session, user=assessor_factory(institution=institution_a), role=StaffRole.CHIEF)

    problems = staffing.staffing_problems(session)
    assert len(problems) == 1
    assert from_a.person.name in problems[0] and "chief assessor" in problems[0]
    with pytest.raises(ScoringRefused, match="chief assessor"):
        session_open_scoring(session=session)


def test_one_rule_says_who_is_conflicted_for_every_role(
    session_factory, carer_factory, make_candidate, assessor_factory, institution_a
):
    """The scorers of a part are the staff of that role whom staffing.is_conflicted does not rule out."""
    session = session_factory(level=5)
    from_a = make_candidate(session, carer_factory(institution=institution_a))
    colleague = assessor_factory(institution=institution_a)
    outsider = assessor_factory()
    for user in (colleague, outsider):
        staffing.staff_assign(session=session, user=user, role=StaffRole.SKILL_ASSESSOR)
    assert staffing.scorers_for(session=session, role=StaffRole.SKILL_ASSESSOR, application=from_a) == [outsider]
    assert staffing.is_conflicted(user=colleague, application=from_a)


# One chief per session, one room of a name, one assignment per person and role (the database's rules) -----


def test_a_second_chief_is_refused_naming_the_chief_and_the_same_role_twice_is_one_assignment(
    session_factory, assessor_factory,
):
    session = session_factory(level=5)
    chief, other = assessor_factory(name="周主考"), assessor_factory(name="吴评委")
    staffing.staff_assign(session=session, user=chief, role=StaffRole.CHIEF)
    with pytest.raises(ValueError) as refused:
        staffing.staff_assign(session=session, user=other, role=StaffRole.CHIEF)
    assert str(refused.value) == "The session already has a chief assessor: 周主考."
    staffing.staff_assign(session=session, user=chief, role=StaffRole.CHIEF)
    staffing.staff_assign(session=session, user=other, role=StaffRole.SKILL_ASSESSOR)
    staffing.staff_assign(session=session, user=other, role=StaffRole.SKILL_ASSESSOR)
    assert sorted(session.staff.values_list("user__person__name", "role")) == [
        ("吴评委", StaffRole.SKILL_ASSESSOR), ("周主考", StaffRole.CHIEF),
    ]


def test_a_room_name_is_used_once_per_session(session_factory):
    session = session_factory(level=5)
    staffing.room_add(session=session, name="101", capacity=30)
    with pytest.raises(ValueError, match="already has a room of this name"):
        staffing.room_add(session=session, name="101", capacity=20)
    assert list(session.rooms.values_list("name", "capacity")) == [("101", 30)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once need PostgreSQL")
def test_two_organisers_naming_different_chiefs_at_once_make_one_chief(
    zhejiang_regions, session_factory, assessor_factory,
):
    session = session_factory(level=5)
    chief, other = assessor_factory(name="周主考"), assessor_factory(name="吴评委")
    first, second = race(
        lambda: staffing.staff_assign(session=session, user=chief, role=StaffRole.CHIEF),
        lambda: staffing.staff_assign(session=session, user=other, role=StaffRole.CHIEF),
    )
    assert isinstance(first, StaffAssignment)
    assert isinstance(second, ValueError) and str(second) == "The session already has a chief assessor: 周主考."
    assert list(session.staff.values_list("user__person__name", flat=True)) == ["周主考"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once need PostgreSQL")
def test_two_organisers_adding_the_same_room_at_once_make_one_room(zhejiang_regions, session_factory):
    session = session_factory(level=5)
    first, second = race(
        lambda: staffing.room_add(session=session, name="101", capacity=30),
        lambda: staffing.room_add(session=session, name="101", capacity=20),
    )
    assert isinstance(first, Room)
    assert isinstance(second, ValueError) and "already has a room of this name" in str(second)
    assert list(session.rooms.values_list("name", "capacity")) == [("101", 30)]
