"""Issue 6 §3: a province administrator opens the dashboards at desktop and phone width, downloads the xlsx and
the PDF report; the PDF's text holds the tier names in Chinese with their rates."""
import io
import subprocess

import pytest
from openpyxl import load_workbook


from analytics.indicators import indicators_seed
from tests.analytics.test_training import random_world
from tests.factories import user_with_role

from .helpers import console_problems, sign_in

PASSWORD = "correct-horse-battery"  # tests/factories.py UserFactory
TIER_NAMES = ("机构负责人", "儿童督导员", "儿童主任")


@pytest.fixture
def province_admin(site_home):
    indicators_seed()  # the transactional browser tests flush what the migration seeded
    random_world(2026)
    admin = user_with_role("province_admin")
    admin.phone = "13900000033"
    admin.save()
    return admin


def test_a_province_administrator_reads_and_downloads_the_dashboards(
    live_server, province_admin, desktop_page, phone_page, screenshot, artifacts
):
    page = desktop_page
    problems = console_problems(page)
    sign_in(page, live_server.url, province_admin.phone, PASSWORD)
    page.goto(f"{live_server.url}/coverage/dashboards/")
    screenshot(page, "dashboards-index-desktop")
    for slug in ("training", "workforce", "certification", "indicators"):
        page.goto(f"{live_server.url}/coverage/dashboards/{slug}/")
        assert page.locator("svg").count() >= (1 if slug != "indicators" else 0)
        screenshot(page, f"dashboard-{slug}-desktop")
    assert problems == []

    page.goto(f"{live_server.url}/coverage/dashboards/training/")
    # Sorting the regions' table by a column, in the browser.
    header_button = page.locator("table th button").nth(1)
    if header_button.count():
        header_button.click()
    with page.expect_download() as xlsx:
        page.locator("[data-export=xlsx]").click()
    assert xlsx.value.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(open(xlsx.value.path(), "rb").read()))
    cells = [cell for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    assert any(name in str(cell) for cell in cells for name in TIER_NAMES)

    with page.expect_download() as pdf:
        page.locator("[data-export=pdf]").click()
    pdf_path = artifacts / "dashboard-training.pdf"
    pdf.value.save_as(pdf_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
    for name in TIER_NAMES:
        line = next(line for line in text.splitlines() if name in line and "%" in line)
        assert any(character.isdigit() for character in line)

    phone = phone_page
    sign_in(phone, live_server.url, province_admin.phone, PASSWORD)
    for slug in ("training", "workforce"):
        phone.goto(f"{live_server.url}/coverage/dashboards/{slug}/")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the {slug} dashboard is {width}px wide on a 390px phone"
        screenshot(phone, f"dashboard-{slug}-phone")
