"""Issue 14 §2: a trainee signs in with WeChat inside WeChat's browser, binds it to her roster account with a
code sent to her mobile, comes back straight in the next time, and unbinds it on her page. WeChat is the fake
of tests/fakes/wechat.py."""
import copy
import re

import pytest

from academy.accounts.models import WeChatBinding
from academy.organisation.models import PostKind, Region
from academy.organisation.services import village_create
from tests.accounts.wechat.conftest import wechat_settings
from tests.fakes.wechat import FakeWeChat

from .helpers import console_problems, roster_trainee


@pytest.fixture
def wechat(settings):
    with FakeWeChat() as fake:
        wechat_settings(settings, fake)
        policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
        policy["DIRECTIVES"]["form-action"].append(fake.url)  # as settings/base.py does for WECHAT_OPEN_URL
        settings.CONTENT_SECURITY_POLICY = policy
        yield fake


def press_wechat_sign_in(page, base_url, wechat):
    page.goto(f"{base_url}/accounts/login/")
    with page.expect_navigation():
        page.get_by_role("button", name="微信登录").click()
    assert page.url.startswith(wechat.url + "/connect/oauth2/authorize?")
    with page.expect_navigation():
        page.get_by_text("同意").click()


def test_bind_wechat_with_a_code_then_straight_in_then_unbind(
    live_server, site_home, wechat, wechat_phone, sms_outbox, screenshot,
):
    # site_home: signing out ends on the home page, which an earlier transactional test's flush removed.
    village = village_create(township=Region.objects.get(code="330106002"), code="330106002201", name="宝石山村")
    trainee = roster_trainee(name="李春燕", mobile="13957100001", kind=PostKind.CHILD_DIRECTOR, region=village)
    page = wechat_phone
    problems = console_problems(page)

    press_wechat_sign_in(page, live_server.url, wechat)
    assert page.url == live_server.url + "/me/wechat/bind/"
    assert page.locator("h1").inner_text() == "绑定微信"
    screenshot(page, "wechat-bind-phone")
    page.locator("#id_login").fill("13957100001")
    with page.expect_navigation():
        page.get_by_role("button", name="发送验证码").click()
    code = re.search(r"\d{6}", sms_outbox[-1][1]).group(0)
    page.locator("#id_code").fill(code)
    with page.expect_navigation():
        page.locator("form.account-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/me/.*"))
    assert WeChatBinding.objects.get().user == trainee

    # Signed out, then 微信登录 again: straight in, no code.
    page.goto(live_server.url + "/me/")
    with page.expect_navigation():
        page.get_by_role("button", name="退出登录").click()
    texts = len(sms_outbox)
    press_wechat_sign_in(page, live_server.url, wechat)
    assert page.url == live_server.url + "/me/"
    assert page.locator("h1").inner_text() == "李春燕"
    assert len(sms_outbox) == texts
    assert page.locator("dd.wechat-bound").inner_text() == "已绑定（小王）"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "wechat-my-page-phone")

    with page.expect_navigation():
        page.get_by_role("button", name="解除微信绑定").click()
    assert not WeChatBinding.objects.exists()
    assert page.locator("dd.wechat-bound").count() == 0
    assert page.locator("dd.wechat-unbound").inner_text() == "未绑定。如需绑定，请退出登录，再点“微信登录”。"
    assert problems == []
