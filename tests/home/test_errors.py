"""Error pages in the site's look and language (templates/400.html … 500.html), and the filing numbers in the footer."""
import pytest
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.views import defaults
from wagtail.models import Site

from academy.home.models import HostingSettings
from tests.factories import UserFactory


@pytest.mark.django_db
def test_an_unknown_address_answers_a_chinese_404_in_the_sites_look(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "找不到页面" in page
    assert "Not Found" not in page
    assert 'class="site-header"' in page and "css/site.css" in page


@pytest.mark.django_db
def test_a_page_out_of_ones_role_answers_a_chinese_403(client):
    client.force_login(UserFactory())
    response = client.get("/manage/people/")
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_the_500_page_is_drawn_without_the_requests_context_or_the_database():
    response = defaults.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "出错了" in page and "css/site.css" in page


@pytest.mark.django_db
def test_the_400_page_is_chinese():
    response = defaults.bad_request(RequestFactory().get("/"), exception=None)
    assert response.status_code == 400
    assert "无法识别的请求" in response.content.decode()


@pytest.mark.django_db
def test_a_form_sent_without_its_token_answers_in_chinese():
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"login": "x", "password": "y"})
    assert response.status_code == 403
    assert "表单已过期" in response.content.decode()


@pytest.mark.django_db
def test_the_footer_shows_the_filing_numbers_linked_as_the_rules_require(client):
    HostingSettings.objects.create(
        site=Site.objects.get(is_default_site=True), icp_number="浙ICP备12345678号-1",
        public_security_number="浙公网安备33010602011771号",
    )
    page = client.get("/accounts/login/").content.decode()
    assert '<a href="https://beian.miit.gov.cn/" target="_blank" rel="noopener noreferrer">浙ICP备12345678号-1</a>' in page
    assert 'href="https://beian.mps.gov.cn/#/query/webSearch?code=33010602011771"' in page


@pytest.mark.django_db
def test_no_filing_line_until_the_numbers_are_entered_and_then_at_once(client):
    assert "filing-numbers" not in client.get("/accounts/login/").content.decode()
    assert not HostingSettings.objects.exists()  # reading them writes nothing
    HostingSettings.objects.create(site=Site.objects.get(is_default_site=True), icp_number="浙ICP备12345678号-1")
    assert "浙ICP备12345678号-1" in client.get("/accounts/login/").content.decode()


def test_a_public_security_number_must_carry_its_14_digit_record_code():
    hosting = HostingSettings(public_security_number="浙公网安备3301号")
    with pytest.raises(ValidationError) as refused:
        hosting.clean_fields(exclude=["site"])
    assert "public_security_number" in refused.value.message_dict


@pytest.mark.django_db
def test_every_page_asks_360_and_qq_browsers_for_their_webkit_engine():
    response = defaults.page_not_found(RequestFactory().get("/x/"), exception=None)
    assert '<meta name="renderer" content="webkit">' in response.content.decode()
