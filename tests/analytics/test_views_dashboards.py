"""The dashboard pages and their downloads: administrators only, each within their own scope, nothing
fetched from elsewhere."""
import csv
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from academy.organisation.models import Institution, PostKind, Region
from analytics.dashboards import DASHBOARDS
from courses.years import training_year
from tests.factories import user_with_role

from .test_reports import pdf_text
from .test_training import random_world, recount

pytestmark = pytest.mark.django_db

YEAR = training_year()
TRAINING = reverse("analytics:dashboard", args=["training"])


def signed_in(client, role, code=None):
    user = user_with_role(role, admin_region_code=code)
    client.force_login(user)
    return user


def export_url(file_format, slug="training"):
    return reverse("analytics:dashboard_export", args=[slug, file_format])


def percent(required, trained):
    return f"{round(trained / required * 100, 1):.1f}".removesuffix(".0") + "%"


@pytest.mark.parametrize("role", ["county_admin", "city_admin", "province_admin", "system_admin"])
def test_administrators_open_the_index_and_the_training_dashboard(client, role):
    signed_in(client, role)
    index = client.get(reverse("analytics:dashboard_index"))
    assert index.status_code == 200
    page = index.content.decode()
    for slug in DASHBOARDS:
        assert reverse("analytics:dashboard", args=[slug]) in page
    assert client.get(TRAINING).status_code == 200


@pytest.mark.parametrize("role", ["trainee", "assessor", "editor"])
def test_only_administrators_see_dashboards(client, role):
    signed_in(client, role)
    for url in [reverse("analytics:dashboard_index"), TRAINING, export_url("xlsx"), export_url("pdf")]:
        assert client.get(url).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in [reverse("analytics:dashboard_index"), TRAINING, export_url("csv")]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_unknown_dashboards_and_formats_are_not_found(client):
    signed_in(client, "province_admin")
    assert client.get(reverse("analytics:dashboard", args=["nonsense"])).status_code == 404
    assert client.get(export_url("xlsx", slug="nonsense")).status_code == 404
    assert client.get(export_url("docx")).status_code == 404
    assert client.get(export_url("html")).status_code == 404


def test_the_page_shows_figures_charts_a_sortable_table_and_the_downloads(client):
    random_world(4)
    signed_in(client, "city_admin", "3301")
    response = client.get(TRAINING)
    page = response.content.decode()
    assert "杭州市" in page
    for kind in (PostKind.INSTITUTION_HEAD, PostKind.CHILD_SUPERVISOR, PostKind.CHILD_DIRECTOR):
        required, trained = recount(kind, YEAR, "3301")
        assert str(kind.label) in page
        assert percent(required, trained) in page
        assert f"{trained} of {required} trained" in page
    assert "Target: 100%" in page
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert 'class="target-line"' in page
    # The table of the city's counties, sortable by clicking its headings, with a script of our own.
    assert "data-sortable" in page and "上城区" in page and "拱墅区" in page
    assert re.search(r'<script src="/static/js/sortable\.js"', page)
    # The downloads keep the year looked at.
    for file_format in ("xlsx", "csv", "pdf"):
        assert f'{export_url(file_format)}?year={YEAR}' in page


def test_the_page_fetches_nothing_from_elsewhere(client):
    signed_in(client, "province_admin")
    page = client.get(TRAINING).content.decode()
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', page)
    assert "@import" not in page and "fonts.googleapis" not in page


def test_a_city_administrator_sees_only_their_city(client):
    random_world(6)
    signed_in(client, "city_admin", "3301")
    response = client.get(TRAINING)
    table = response.context["dashboard"]["tables"][0]
    regions = [row[0]["text"] for row in table["rows"]]
    assert "上城区" in regions and "海曙区" not in regions and "宁波市" not in regions
    assert "海曙区" not in response.content.decode()


def test_the_year_is_chosen_in_the_address(client):
    random_world(8)
    signed_in(client, "province_admin")
    response = client.get(TRAINING, {"year": YEAR - 1})
    assert response.context["year"] == YEAR - 1
    required, trained = recount(PostKind.CHILD_DIRECTOR, YEAR - 1, "33")
    assert response.context["dashboard"]["figures"][2]["value"] == percent(required, trained)
    assert client.get(TRAINING, {"year": "abc"}).context["year"] == YEAR


def test_the_xlsx_download(client):
    random_world(9)
    signed_in(client, "province_admin")
    response = client.get(export_url("xlsx"), {"year": YEAR})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == f'attachment; filename="training-{YEAR}.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    by_region = workbook.worksheets[1]
    rows = {row[0]: row for row in by_region.iter_rows(min_row=2, values_only=True)}
    required, trained = recount(PostKind.CHILD_DIRECTOR, YEAR, "3301")
    assert rows["杭州市"][7:9] == (required, trained)


def test_the_csv_download(client):
    signed_in(client, "county_admin", "330102")
    response = client.get(export_url("csv"), {"year": YEAR - 1})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="training-{YEAR - 1}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][1:] == ["上城区", str(YEAR - 1)]


def test_the_pdf_download_is_in_the_readers_language(client):
    random_world(10)
    signed_in(client, "province_admin")
    client.cookies["django_language"] = "zh-hans"  # chosen with the language switch
    response = client.get(export_url("pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="training-{YEAR}.pdf"'
    text = pdf_text(response.content)
    assert "儿童主任" in text and "浙江省" in text
    required, trained = recount(PostKind.CHILD_DIRECTOR, YEAR, "33")
    assert percent(required, trained) in text


HOSTILE = '=HYPERLINK("http://evil.example","x")'


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_no_dashboard_export_lets_a_name_run_as_a_formula(client, file_format):
    """Cities and institutions named like formulas come out of every dashboard as quoted text."""
    random_world(11)
    Region.objects.filter(code="3301").update(name=HOSTILE)
    Institution.objects.update(name="@" + HOSTILE)
    signed_in(client, "province_admin")
    quoted = set()
    for slug in DASHBOARDS:
        response = client.get(export_url(file_format, slug), {"year": YEAR})
        assert response.status_code == 200, slug
        if file_format == "csv":
            cells = [cell for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for cell in row]
        else:
            workbook = load_workbook(io.BytesIO(response.content))
            every = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
            assert not [cell.coordinate for cell in every if cell.data_type == "f"], slug
            cells = [cell.value for cell in every]
        texts = [cell for cell in cells if isinstance(cell, str)]
        assert not [text for text in texts if text.startswith(("=", "+", "-", "@", "\t", "\r"))
                    and not re.fullmatch(r'="\d+"', text)], slug
        quoted |= {text for text in texts if text in ("'" + HOSTILE, "'@" + HOSTILE)}
    assert quoted == {"'" + HOSTILE, "'@" + HOSTILE}
