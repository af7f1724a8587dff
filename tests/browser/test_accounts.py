"""Issue 2 §7: a child director signs in on a phone and sees their own page."""
from django.utils import translation

from academy.organisation.models import PostKind, Region
from academy.organisation.services import village_create

from .helpers import console_problems, roster_trainee, sign_in

ID_NUMBER = "330106198503150024"


def test_director_signs_in_on_a_phone_and_sees_their_page(live_server, zhejiang_regions, phone_page, screenshot):
    village = village_create(township=Region.objects.get(code="330106002"), code="330106002201", name="宝石山村")
    director = roster_trainee(
        name="李春燕", mobile="13957100001", kind=PostKind.CHILD_DIRECTOR, region=village, id_number=ID_NUMBER
    )
    page = phone_page
    problems = console_problems(page)

    sign_in(page, live_server.url, "13957100001")

    assert page.url == live_server.url + "/me/"
    assert page.locator("h1").inner_text() == "李春燕"
    post = page.locator("article.post")
    assert post.count() == 1
    with translation.override("zh-hans"):
        assert post.locator(".post-title strong").inner_text() == str(PostKind.CHILD_DIRECTOR.label)
    assert post.locator(".badge-ok").is_visible()  # held now
    assert post.get_by_text("杭州市 西湖区 北山街道 宝石山村").is_visible()
    masked = director.person.id_number_masked
    assert masked.startswith("330106") and "*" in masked
    assert page.locator("dd.id-number").inner_text() == masked
    assert ID_NUMBER not in page.content()
    assert ID_NUMBER[6:14] not in page.content()  # not even the birth date
    # Everything fits the phone's width: nothing to scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "accounts-director-my-page-phone")
    assert problems == []
