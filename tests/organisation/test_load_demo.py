"""manage.py load_demo, on one city (丽水市) with few villages, so that it runs in seconds."""
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Page, Site

from academy.accounts.models import Role, User
from academy.home.models import AnnouncementPage, HomePage, StandardPage
from academy.demo.people import DEMO_TOTP_KEY
from academy.organisation.models import Institution, Person, Post, PostKind, Region
from tests.accounts.totp import totp_code

pytestmark = pytest.mark.django_db


def _load(*options):
    out = io.StringIO()
    call_command("load_demo", "--cities", "3311", "--small", *options, stdout=out)
    return out.getvalue()


def _current_posts(user):
    return list(Post.objects.current(timezone.localdate()).filter(person=user.person).select_related("institution"))


def test_every_role_has_a_demo_account_that_signs_in_with_the_printed_password(client):
    output = _load()

    accounts = {user.phone: user for user in User.objects.filter(phone__startswith="138000000")}
    assert sorted(accounts) == [f"138000000{n:02d}" for n in range(1, 12)]
    for user in accounts.values():
        assert user.check_password("demo12345")
        assert user.phone in output
    director, supervisor, head, carer, assessor = (accounts[f"1380000000{n}"] for n in range(1, 6))
    # Without 杭州市, the demo county is the city's first: 莲都区.
    [post] = _current_posts(director)
    assert post.kind == PostKind.CHILD_DIRECTOR and post.region_id.startswith("331102")
    [post] = _current_posts(supervisor)
    assert post.kind == PostKind.CHILD_SUPERVISOR
    assert director.person.posts.get().region.parent_id == post.region_id
    assert [p.kind for p in _current_posts(head)] == [PostKind.INSTITUTION_HEAD]
    assert [p.kind for p in _current_posts(carer)] == [PostKind.CARER]
    assert assessor.is_assessor and _current_posts(assessor)[0].institution is not None
    assert _current_posts(assessor)[0].institution != _current_posts(carer)[0].institution

    by_email = {user.email: user for user in User.objects.filter(email__endswith="@example.org")}
    assert by_email["county-admin@example.org"].admin_region_id == "331102"
    assert by_email["city-admin@example.org"].admin_region_id == "3311"
    assert by_email["province-admin@example.org"].admin_region_id == "33"
    assert Role.EDITOR in by_email["editor@example.org"].roles
    assert by_email["editor@example.org"].groups.filter(name="Editors").exists()
    assert Role.SYSTEM_ADMIN in by_email["admin@example.org"].roles
    for email in ("county-admin@example.org", "admin@example.org"):
        assert email in output

    response = client.post("/accounts/login/", {"login": "13800000001", "password": "demo12345"})
    assert response.status_code == 302 and client.get("/me/").status_code == 200
    client.logout()
    response = client.post("/accounts/login/", {"login": "county-admin@example.org", "password": "demo12345"})
    assert response.status_code == 302 and client.get("/me/").status_code == 200


def test_the_output_says_the_villages_are_synthetic():
    output = _load()

    villages = Region.objects.filter(is_synthetic=True)
    assert villages.count() >= Region.objects.filter(code__startswith="3311", level="township").count()
    assert "SYNTHETIC" in output and str(villages.count()) in output


def test_running_twice_duplicates_nothing():
    _load()
    counts = (Person.objects.count(), Post.objects.count(), User.objects.count(), Institution.objects.count(),
              Region.objects.count(), Page.objects.count())

    output = _load()

    assert (Person.objects.count(), Post.objects.count(), User.objects.count(), Institution.objects.count(),
            Region.objects.count(), Page.objects.count()) == counts
    assert "already loaded" in output
    assert User.objects.get(phone="13800000001").check_password("demo12345")


def test_reset_loads_the_same_roster_again():
    _load()
    people = sorted(Person.objects.values_list("name", "id_number_masked"))

    _load("--reset")

    assert sorted(Person.objects.values_list("name", "id_number_masked")) == people


def test_the_home_page_is_the_site_root_with_announcements_and_help(client):
    _load()

    site = Site.objects.get(is_default_site=True)
    home = site.root_page.specific
    assert isinstance(home, HomePage) and home.live
    # Wagtail's "Welcome" placeholder is gone.
    assert not Page.objects.filter(depth=2).exclude(pk=home.pk).exists()
    announcements = AnnouncementPage.objects.child_of(home).live()
    assert announcements.count() >= 2
    assert announcements.filter(title="2026 年度儿童主任全覆盖培训通知", is_pinned=True).exists()
    assert StandardPage.objects.child_of(home).live().get().title == "使用帮助"


def test_the_demo_has_this_years_plans_part_way_to_their_target(django_capture_on_commit_callbacks):
    from courses.models import CoverageCount
    from courses.models import TrainingPlan, TrainingRecord
    from courses.years import training_year

    with django_capture_on_commit_callbacks(execute=True):  # the plans are assigned once the data is saved
        _load()
    plans = TrainingPlan.objects.filter(year=training_year())
    assert set(plans.values_list("post_kind", flat=True)) == {
        PostKind.INSTITUTION_HEAD, PostKind.CHILD_SUPERVISOR, PostKind.CHILD_DIRECTOR
    }
    province_directors = CoverageCount.objects.filter(region_id="33", plan__post_kind=PostKind.CHILD_DIRECTOR)
    assert sum(count.required for count in province_directors) > 0
    assert 0 < sum(count.completed for count in province_directors) < sum(count.required for count in province_directors)
    director = User.objects.get(phone="13800000001")
    assert not TrainingRecord.objects.filter(person=director.person).exists()  # the demo director has work to do

    _load()
    assert TrainingPlan.objects.filter(year=training_year()).count() == plans.count()


def test_the_demo_editor_and_system_administrator_sign_in_with_the_printed_authenticator_key(client, settings):
    settings.SECOND_FACTOR_REQUIRED = True
    output = _load()
    assert DEMO_TOTP_KEY in output
    for email in ("editor@example.org", "admin@example.org"):
        response = client.post("/accounts/login/", {"login": email, "password": "demo12345"})
        assert response.url == "/accounts/2fa/authenticate/"
        client.post(response.url, {"code": totp_code(DEMO_TOTP_KEY)})
        assert client.get("/cms/").status_code == 200
        client.logout()
