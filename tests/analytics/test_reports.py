"""What a dashboard exports to: an xlsx workbook and a csv file holding its figures and tables, and the PDF
report (Chinese text embedded, charts drawn) a superior is handed."""
import csv
import io
import shutil
import subprocess

import pytest
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from academy.organisation.models import PostKind, Region
from academy.organisation.scope import Scope
from analytics import reports
from analytics.dashboards import Chart, Column, Dashboard, Figure, Series, Table, Unit, scope_label
from analytics.training import training_dashboard
from courses.years import training_year

from .test_training import TODAY, random_world, recount

YEAR = training_year()


def sample_dashboard() -> Dashboard:
    """A dashboard of every kind of value, as any of the four builders may make one."""
    return Dashboard(
        slug="sample", title="示例", scope_label="杭州市", year=2026,
        figures=[
            Figure("机构负责人", 0.853, Unit.RATE, 1.0, "85 of 100 trained"),
            Figure("Institutions", 9, Unit.COUNT, 11),
            Figure("Care standard", 21000.0, Unit.NUMBER, None),
            Figure("儿童主任", None, Unit.RATE, 1.0, "No plan"),
        ],
        charts=[Chart("bar", "By city", ["上城区", "拱墅区"], [Series("机构负责人", [0.5, 1.0])], Unit.RATE, 1.0)],
        tables=[
            Table("By region / county", [Column("region", "Region"), Column("people", "People", Unit.COUNT),
                                         Column("rate", "Rate", Unit.RATE)],
                  [{"region": "上城区", "people": 1200, "rate": 0.5}, {"region": "拱墅区", "people": 3, "rate": None}]),
            Table("By region / county", [Column("year", "Year"), Column("hours", "Hours", Unit.NUMBER)],
                  [{"year": "2025", "hours": 12.5}]),
        ],
        notes=["A note."],
    )


def test_the_xlsx_holds_the_figures_and_every_table_as_numbers():
    workbook = load_workbook(io.BytesIO(reports.dashboard_xlsx(sample_dashboard())))
    figures, first, second = workbook.worksheets
    assert [cell.value for cell in figures[1]][:3] == ["示例", "杭州市", 2026]
    assert [cell.value for cell in figures[3]] == ["Figure", "Value", "Target", "Target met", "Note"]
    rows = [[cell.value for cell in row] for row in figures.iter_rows(min_row=4)]
    assert rows[0] == ["机构负责人", 0.853, 1.0, "Below target", "85 of 100 trained"]
    assert rows[1][:4] == ["Institutions", 9, 11, "Below target"]
    assert rows[2][:4] == ["Care standard", 21000.0, None, None]
    assert rows[3][:3] == ["儿童主任", None, 1.0]
    assert figures["B4"].number_format == "0.0%"

    # One sheet per table, named after it as far as Excel allows, each name once.
    assert first.title == "By region   county" and second.title == "By region   county (2)"
    assert [[cell.value for cell in row] for row in first.iter_rows()] == [
        ["Region", "People", "Rate"], ["上城区", 1200, 0.5], ["拱墅区", 3, None],
    ]
    assert first["C2"].number_format == "0.0%" and first["B2"].number_format == "#,##0"
    assert [[cell.value for cell in row] for row in second.iter_rows()] == [["Year", "Hours"], ["2025", 12.5]]


def test_the_csv_opens_in_excel_and_lists_figures_then_tables():
    content = reports.dashboard_csv(sample_dashboard())
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["示例", "杭州市", "2026"]
    assert rows[1] == []
    assert rows[2] == ["Headline figures"]
    assert rows[4] == ["机构负责人", "85.3%", "100%", "Below target", "85 of 100 trained"]
    assert rows[5][:3] == ["Institutions", "9", "11"]
    assert rows[6][:3] == ["Care standard", "21000", ""]
    assert rows[7][:3] == ["儿童主任", "", "100%"]
    assert rows[8:14] == [
        [], ["By region / county"], ["Region", "People", "Rate"], ["上城区", "1200", "50%"], ["拱墅区", "3", ""], [],
    ]
    assert rows[14:] == [["By region / county"], ["Year", "Hours"], ["2025", "12.5"]]


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def embedded_fonts(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


@pytest.mark.django_db
def test_the_pdf_report_names_the_tiers_in_chinese_with_their_rates():
    random_world(2)
    scope = Scope.of_region(Region.objects.get(code="33"))
    with translation.override("zh-hans"):
        dashboard = training_dashboard(scope=scope, year=YEAR, today=TODAY)
        pdf = reports.dashboard_pdf(dashboard)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "培训覆盖率" in text and "浙江省" in text
    for tier, figure in zip(("机构负责人", "儿童督导员", "儿童主任"), dashboard.figures):
        assert figure.label == tier
        required, trained = recount(PostKind(
            {"机构负责人": "institution_head", "儿童督导员": "child_supervisor", "儿童主任": "child_director"}[tier]
        ), YEAR, "33")
        rate = f"{round(trained / required * 100, 1):.1f}".removesuffix(".0") + "%"
        assert tier in text and rate in text
        line = next(line for line in text.splitlines() if line.strip().startswith(tier))
        assert rate in line  # the rate on its tier's row
    # The table names the cities; the charts carry them as text too.
    assert text.count("杭州市") >= 2 and "宁波市" in text
    assert any("DroidSansFallback" in name for name in embedded_fonts(pdf))


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler's pdftoppm is not installed")
@pytest.mark.django_db
def test_the_pdf_report_draws_its_charts(tmp_path):
    """The chart really appears on the page: its bars and lines in the palette's colours."""
    from PIL import Image

    random_world(2)
    with translation.override("zh-hans"):
        dashboard = training_dashboard(scope=Scope.of_region(Region.objects.get(code="3301")), year=YEAR, today=TODAY)
        pdf = reports.dashboard_pdf(dashboard)
    (tmp_path / "report.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "2", str(tmp_path / "report.pdf"),
                    str(tmp_path / "page")], check=True)
    counted = []  # (pixels, colour) of every colour on the pages
    for page in sorted(tmp_path.glob("page*.png")):
        counted += Image.open(page).convert("RGB").getcolors(maxcolors=1 << 24)
    colours = {(0xc2, 0x41, 0x0c): 0, (0x1d, 0x4e, 0xd8): 0, (0x15, 0x80, 0x3d): 0}
    for pixels, pixel in counted:
        for colour in colours:
            if all(abs(a - b) < 24 for a, b in zip(pixel, colour)):
                colours[colour] += pixels
    # Hundreds of pixels of each series' colour: bars and lines, not a rule under a heading.
    assert all(count > 200 for count in colours.values()), colours


def test_a_report_of_several_dashboards_holds_each_with_its_title_and_period():
    second = sample_dashboard()
    second.title, second.figures = "第二个", [Figure("儿童督导员", 0.25, Unit.RATE, 1.0)]
    pdf = reports.dashboards_pdf([sample_dashboard(), second], title="月度报告", scope_label="杭州市", period="2026-05")
    text = pdf_text(pdf)
    for words in ("月度报告", "杭州市", "2026-05", "示例", "第二个", "85.3%", "25%", "上城区", "A note."):
        assert words in text
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 2  # each dashboard starts a page


@pytest.mark.django_db
def test_the_scope_label_is_the_region_looked_at():
    assert scope_label(scope=Scope.everything()) == "浙江省"
    assert scope_label(scope=Scope.of_region(Region.objects.get(code="3301"))) == "杭州市"
    assert scope_label(scope=Scope.nothing()) == ""


@pytest.mark.parametrize(("file_format", "start"), [("xlsx", b"PK\x03\x04"), ("csv", b"\xef\xbb\xbf"), ("pdf", b"%PDF")])
def test_every_format_is_written_for_any_dashboard(file_format, start):
    assert reports.dashboard_file(sample_dashboard(), file_format).startswith(start)
