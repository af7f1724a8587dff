"""The audit trail page (/manage/audit/) and its exports: system administrators only, filters, exports."""
import csv
import datetime
import io
from urllib.parse import urlsplit

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from academy.audit.models import AuditAction, AuditEntry
from academy.audit.services import audit_record
from tests.factories import UserFactory, user_with_role

pytestmark = pytest.mark.django_db

LIST = reverse("organisation:audit_list")


def export_url(file_format: str) -> str:
    return reverse("organisation:audit_export", args=[file_format])


@pytest.fixture
def system_admin(client):
    user = user_with_role("system_admin")
    client.force_login(user)
    # Signing in is itself recorded (academy/accounts/receivers.py); the tests look at the entries they make.
    AuditEntry.objects.filter(action=AuditAction.SIGN_IN).delete()
    return user


def entry(action=AuditAction.SIGN_IN, *, actor=None, days_ago=0, region_code="", **values) -> AuditEntry:
    recorded = audit_record(action=action, actor=actor, region_code=region_code, **values)
    if days_ago:
        AuditEntry.objects.filter(pk=recorded.pk).update(at=timezone.now() - datetime.timedelta(days=days_ago))
    return recorded


def listed(response) -> list[int]:
    return [row.entry.pk for row in response.context["rows"]]


@pytest.mark.parametrize("role", ["trainee", "assessor", "editor", "county_admin", "city_admin", "province_admin"])
@pytest.mark.parametrize("url", [LIST, export_url("csv"), export_url("xlsx")])
def test_every_other_role_is_refused(client, role, url):
    client.force_login(user_with_role(role))
    assert client.get(url).status_code == 403
    assert client.post(LIST, {"who": "x"}).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.PERSONAL_DATA_EXPORTED).exists()


@pytest.mark.parametrize("url", [LIST, export_url("csv")])
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_only_system_administrators_have_the_menu_item(client):
    client.force_login(user_with_role("province_admin"))
    assert LIST not in client.get(reverse("accounts:home")).content.decode()
    client.force_login(user_with_role("system_admin"))
    assert LIST in client.get(reverse("accounts:home")).content.decode()


def test_the_page_lists_entries_newest_first_in_chinese(client, system_admin):
    older = entry(AuditAction.ROSTER_APPLIED, actor=UserFactory(first_name="静", last_name="陈"), days_ago=1,
                  region_code="330102", target_label="名单导入", detail={"people_created": 2})
    newer = entry(AuditAction.SIGN_IN_FAILED)

    response = client.get(LIST)

    assert listed(response) == [newer.pk, older.pk]
    page = response.content.decode()
    assert "审计日志" in page and "名册导入生效" in page
    assert "陈静" in page and "330102 上城区" in page and "people_created" in page


def test_the_page_speaks_english_to_those_who_chose_it(client, system_admin):
    entry(AuditAction.SIGN_IN_FAILED)
    client.cookies["django_language"] = "en"
    page = client.get(LIST).content.decode()
    assert "Audit trail" in page and "Sign-in failed" in page and "1 entry" in page


def test_filters_by_what_when_and_region(client, system_admin):
    in_county = entry(AuditAction.PERSON_CHANGED, region_code="330102001201")
    entry(AuditAction.PERSON_CHANGED, region_code="330105")
    entry(AuditAction.SIGN_IN, region_code="330102")
    old = entry(AuditAction.PERSON_CHANGED, region_code="330102", days_ago=10)

    response = client.get(LIST, {"action": AuditAction.PERSON_CHANGED, "region": "330102"})
    assert listed(response) == [in_county.pk, old.pk]

    today = timezone.localdate()
    response = client.get(LIST, {
        "action": AuditAction.PERSON_CHANGED, "region": "330102", "since": today - datetime.timedelta(days=11),
        "until": today - datetime.timedelta(days=9),
    })
    assert listed(response) == [old.pk]


def test_a_start_after_the_end_is_refused_with_a_message(client, system_admin):
    entry()
    response = client.get(LIST, {"since": "2025-03-02", "until": "2025-03-01"})
    assert listed(response) == []
    assert "结束日期早于开始日期" in response.content.decode()


def test_who_by_name_is_a_plain_filter(client, system_admin):
    chen = entry(actor=UserFactory(first_name="静", last_name="陈"))
    entry(actor=UserFactory(first_name="强", last_name="王"))
    assert listed(client.get(LIST, {"who": "陈"})) == [chen.pk]


def test_who_by_mobile_is_posted_and_never_put_in_the_address(client, system_admin):
    holder = UserFactory(phone="13812345678", first_name="静", last_name="陈")
    mine = entry(actor=holder)
    entry(actor=UserFactory())

    response = client.post(LIST, {"who": "138 1234 5678", "action": ""})

    assert response.status_code == 302
    location = response["Location"]
    assert "13812345678" not in location and "1234" not in location
    assert urlsplit(location).query == f"actor={holder.pk}"
    response = client.get(location)
    assert listed(response) == [mine.pk]
    assert "陈静" in response.content.decode()


def test_who_by_email_is_posted_too(client, system_admin):
    holder = UserFactory(email="chen@example.org")
    mine = entry(actor=holder)
    location = client.post(LIST, {"who": "Chen@Example.org"})["Location"]
    assert "example" not in location
    assert listed(client.get(location)) == [mine.pk]


def test_a_mobile_number_in_the_address_is_refused(client, system_admin):
    entry(actor=UserFactory(phone="13812345678"))
    response = client.get(LIST, {"who": "13812345678"})
    assert listed(response) == []
    assert "请用搜索按钮" in response.content.decode()


def test_an_unknown_mobile_number_is_named_as_the_problem(client, system_admin):
    response = client.post(LIST, {"who": "13899999999"})
    assert response.status_code == 200
    assert "没有账户使用这个手机号码或电子邮箱" in response.content.decode()


def test_the_page_is_paginated_and_keeps_the_filters(client, system_admin):
    for _number in range(51):
        entry(AuditAction.SIGN_IN_FAILED)
    response = client.get(LIST, {"action": AuditAction.SIGN_IN_FAILED})
    assert len(listed(response)) == 50
    assert "action=sign_in_failed&amp;page=2" in response.content.decode()
    assert len(listed(client.get(LIST, {"action": AuditAction.SIGN_IN_FAILED, "page": 2}))) == 1


def test_the_csv_export_holds_the_filtered_entries_and_is_itself_recorded(client, system_admin):
    chen = entry(AuditAction.CERTIFICATE_ISSUED, actor=UserFactory(first_name="静", last_name="陈"),
                 region_code="3301", target_label="S000133000001264000017")
    entry(AuditAction.SIGN_IN)

    response = client.get(export_url("csv"), {"action": AuditAction.CERTIFICATE_ISSUED})

    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["时间", "操作人", "操作"]
    assert len(rows) == 2 and rows[1][1] == "陈静" and "S000133000001264000017" in rows[1][3]
    assert rows[1][0] == f"{timezone.localtime(chen.at):%Y-%m-%d %H:%M:%S}"
    recorded = AuditEntry.objects.get(action=AuditAction.PERSONAL_DATA_EXPORTED)
    assert recorded.actor == system_admin
    assert recorded.detail == {
        "export": "audit_trail", "format": "csv", "rows": 1, "filters": {"action": "certificate_issued"},
    }


def test_the_xlsx_export_neutralises_formulas(client, system_admin):
    entry(AuditAction.PERSON_CHANGED, actor=UserFactory(first_name='HYPERLINK("http://evil.example","x")',
                                                        last_name="="), target_label="+cmd|' /C calc'!A0")

    response = client.get(export_url("xlsx"))

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][1] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert sheet.cell(row=2, column=2).data_type == "s"
    assert rows[1][3] == "'+cmd|' /C calc'!A0"


def test_a_too_large_export_is_refused_with_a_message(client, system_admin, monkeypatch):
    from academy.organisation.views import audit as audit_views

    monkeypatch.setattr(audit_views, "EXPORT_MAX_ROWS", 2)
    for _number in range(3):
        entry()
    response = client.get(export_url("csv"), follow=True)
    assert "缩小筛选范围" in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.PERSONAL_DATA_EXPORTED).exists()


def test_an_export_with_a_mobile_number_in_the_address_is_refused(client, system_admin):
    assert client.get(export_url("csv"), {"who": "13812345678"}).status_code == 400
