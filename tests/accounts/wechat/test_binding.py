"""Binding a WeChat identity to a roster account once, by a sign-in code; signing in with it; unbinding."""
import pytest
from allauth.socialaccount.models import SocialAccount
from django.db import IntegrityError, transaction
from django.urls import reverse

from academy.accounts.models import WeChatBinding
from academy.accounts.wechat.binding import BindingRefused, wechat_bind, wechat_unbind
from academy.audit.models import AuditAction, AuditEntry

from tests.accounts.test_second_factor import make_user, with_authenticator
from tests.accounts.totp import totp_code

from .conftest import PC_UA, bind_with_code, wechat_sign_in


def test_an_unknown_wechat_creates_no_account_and_asks_for_the_mobile_number(client, wechat, claimed_trainee):
    users_before = type(claimed_trainee).objects.count()
    response = wechat_sign_in(client)
    assert response.status_code == 302 and response.url == reverse("accounts:wechat_bind")
    page = client.get(response.url).content.decode()
    assert "This WeChat is not bound to an account yet." in page
    assert type(claimed_trainee).objects.count() == users_before
    assert not SocialAccount.objects.exists()
    assert "_auth_user_id" not in client.session


def test_the_code_sent_to_the_mobile_binds_wechat_and_signs_in(client, wechat, claimed_trainee, sms_outbox):
    wechat_sign_in(client)
    response = bind_with_code(client, claimed_trainee.phone, sms_outbox)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == claimed_trainee.pk
    binding = WeChatBinding.objects.get(user=claimed_trainee)
    assert binding.account.uid == "u-1"  # the unionid: the same person on a PC
    assert binding.official_account_openid == "o-official-1"
    assert binding.nickname == "小王"
    assert AuditEntry.objects.filter(action=AuditAction.WECHAT_BOUND, actor=claimed_trainee).count() == 1


def test_a_bound_wechat_signs_straight_in_the_next_time(client, wechat, claimed_trainee, sms_outbox):
    wechat_sign_in(client)
    bind_with_code(client, claimed_trainee.phone, sms_outbox)
    client.logout()
    texts = len(sms_outbox)
    response = wechat_sign_in(client)
    assert response.status_code == 302 and response.url == reverse("accounts:home")
    assert int(client.session["_auth_user_id"]) == claimed_trainee.pk
    assert len(sms_outbox) == texts  # no code this time


def test_on_a_pc_the_qr_flow_finds_the_same_person_by_unionid(client, wechat, claimed_trainee, sms_outbox):
    wechat_sign_in(client)
    bind_with_code(client, claimed_trainee.phone, sms_outbox)
    client.logout()
    response = wechat_sign_in(client, user_agent=PC_UA)
    assert response.url == reverse("accounts:home")
    assert int(client.session["_auth_user_id"]) == claimed_trainee.pk
    qr = [r for r in wechat.requests if r["path"] == "/connect/qrconnect"]
    assert qr and qr[0]["query"]["scope"] == "snsapi_login" and qr[0]["query"]["appid"] == "wx-fake-website"
    # The 公众号 openid stays what template messages need.
    assert WeChatBinding.objects.get().official_account_openid == "o-official-1"


def test_signing_in_by_password_binds_nothing(client, wechat, claimed_trainee):
    wechat_sign_in(client)
    client.post(reverse("account_login"), {"login": claimed_trainee.phone, "password": "a-long-secret-phrase"})
    assert int(client.session["_auth_user_id"]) == claimed_trainee.pk
    assert not WeChatBinding.objects.exists()


def test_an_account_binds_one_wechat_only(client, wechat, claimed_trainee, sms_outbox):
    wechat_sign_in(client)
    bind_with_code(client, claimed_trainee.phone, sms_outbox)
    client.logout()
    wechat.person = {"openids": {"wx-fake-official-account": "o-official-2", "wx-fake-website": "o-website-2"}, "unionid": "u-2", "nickname": "另一个"}
    wechat_sign_in(client)
    response = bind_with_code(client, claimed_trainee.phone, sms_outbox)
    assert "Your account is already bound to another WeChat." in client.get(response.url, follow=True).content.decode()
    assert list(SocialAccount.objects.values_list("uid", flat=True)) == ["u-1"]


def test_the_database_keeps_one_wechat_per_account_and_one_account_per_wechat(claimed_trainee, unclaimed_trainee):
    wechat_bind(user=claimed_trainee, uid="u-1", data={"openid": "o-1", "flow": "official_account"})
    with pytest.raises(BindingRefused):
        wechat_bind(user=claimed_trainee, uid="u-2", data={"openid": "o-2"})
    with pytest.raises(BindingRefused):
        wechat_bind(user=unclaimed_trainee, uid="u-1", data={"openid": "o-1"})
    account = SocialAccount.objects.create(user=claimed_trainee, provider="weixin", uid="u-3")
    with pytest.raises(IntegrityError), transaction.atomic():
        WeChatBinding.objects.create(user=claimed_trainee, account=account)


def test_unbinding_on_my_page(client, wechat, claimed_trainee, sms_outbox):
    wechat_sign_in(client)
    bind_with_code(client, claimed_trainee.phone, sms_outbox)
    page = client.get(reverse("accounts:home")).content.decode()
    assert "Bound (小王)" in page
    response = client.post(reverse("accounts:wechat_unbind"))
    assert response.url == reverse("accounts:home")
    assert not SocialAccount.objects.exists() and not WeChatBinding.objects.exists()
    assert "Not bound. To bind it, sign out" in client.get(reverse("accounts:home")).content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.WECHAT_UNBOUND, actor=claimed_trainee).count() == 1
    client.logout()
    assert wechat_sign_in(client).url == reverse("accounts:wechat_bind")  # no longer signs in


def test_unbinding_nothing_records_nothing(claimed_trainee):
    assert wechat_unbind(user=claimed_trainee) is False
    assert not AuditEntry.objects.filter(action=AuditAction.WECHAT_UNBOUND).exists()


def test_allauths_connections_page_is_closed(client, claimed_trainee):
    client.force_login(claimed_trainee)
    assert client.get("/accounts/3rdparty/").url == reverse("accounts:home")


def test_a_second_factor_is_still_asked_for_after_wechat(client, settings, wechat, db, sms_outbox):
    settings.SECOND_FACTOR_REQUIRED = True
    administrator = make_user("editor")
    secret = with_authenticator(administrator)
    wechat_sign_in(client)
    response = bind_with_code(client, administrator.phone, sms_outbox)
    assert response.url == reverse("mfa_authenticate") and not WeChatBinding.objects.exists()
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert WeChatBinding.objects.get().user == administrator  # bound once the sign-in is complete
    client.logout()
    response = wechat_sign_in(client)
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
