"""Charts drawn on the server as SVG: well-formed, with the values, the target line and the legend a reader
needs, nothing remote, and, for the PDF, Chinese labels in a font svglib can draw."""
import io
import xml.etree.ElementTree as ET

import pytest
from svglib.svglib import svg2rlg

from analytics.charts import PDF_CJK_FONT, WIDTH, chart_svg, format_value
from analytics.dashboards import Chart, Series, Unit

SVG = "{http://www.w3.org/2000/svg}"
CITIES = ["杭州市", "宁波市", "温州市"]


def tiers_chart(kind="bar", **changes) -> Chart:
    values = {
        "kind": kind, "title": "覆盖率", "categories": CITIES, "unit": Unit.RATE, "target": 1.0,
        "series": [
            Series("机构负责人", [1.0, 0.5, None]), Series("儿童督导员", [0.853, 0.25, 0.75]),
            Series("儿童主任", [0.6, 0.9, 0.1]),
        ],
    }
    values.update(changes)
    return Chart(**values)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def label_texts(root: ET.Element) -> list[str]:
    """The visible text of each label, without the tooltip of a shortened one."""
    return [(node.text or "") + "".join((child.tail or "") for child in node) for node in root.iter(f"{SVG}text")]


def test_a_bar_chart_is_well_formed_svg_that_scales_to_a_phone():
    root = parse(chart_svg(tiers_chart()))
    assert root.tag == f"{SVG}svg"
    assert root.get("width") == "100%" and root.get("viewBox").startswith(f"0 0 {WIDTH} ")
    assert "sans-serif" in root.get("font-family")
    assert root.find(f"{SVG}title").text == "覆盖率"


def test_a_bar_chart_shows_categories_values_legend_and_the_target():
    root = parse(chart_svg(tiers_chart()))
    words = label_texts(root)
    for city in CITIES:
        assert city in words
    for tier in ("机构负责人", "儿童督导员", "儿童主任"):
        assert tier in words  # the legend
    assert {"85.3%", "50%", "25%", "100%", "10%"} <= set(words)
    assert "—" in words  # the missing value is marked, not drawn as zero
    assert "Target 100%" in words
    assert {"0%", "25%", "50%", "75%", "100%"} <= set(words)  # the axis

    (target,) = [line for line in root.iter(f"{SVG}line") if line.get("class") == "target-line"]
    bars = [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "bar"]
    assert len(bars) == 8  # nine values, one missing
    full = float(bars[0].get("width"))  # 杭州市's heads: 100%
    left = float(bars[0].get("x"))
    assert float(bars[3].get("width")) == pytest.approx(full / 2, abs=0.2)  # 宁波市's heads: 50%
    assert float(target.get("x1")) == pytest.approx(left + full, abs=0.2)  # the target is at 100%


def test_a_line_chart_draws_the_trend_with_its_target_and_latest_values():
    chart = Chart(
        kind="line", title="历年", categories=["2023", "2024", "2025", "2026"], unit=Unit.RATE, target=1.0,
        series=[Series("机构负责人", [0.5, None, 0.7, 0.8]), Series("儿童主任", [0.2, 0.4, 0.6, 0.95])],
    )
    root = parse(chart_svg(chart))
    words = label_texts(root)
    assert ["2023", "2024", "2025", "2026"] == [word for word in words if word.startswith("20")]
    assert {"80%", "95%", "Target 100%"} <= set(words)
    assert len([line for line in root.iter(f"{SVG}line") if line.get("class") == "target-line"]) == 1
    # The missing year breaks the first line: one segment of two points; the second line is whole.
    paths = [path.get("d") for path in root.iter(f"{SVG}path") if path.get("class") == "series-line"]
    assert [path.count("L") for path in paths] == [1, 3]
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 7
    # Every point names its value on the page.
    assert circles[0].find(f"{SVG}title").text == "机构负责人 · 2023: 50%"


def test_a_single_series_labels_every_point_and_counts_are_whole_numbers():
    chart = Chart(kind="line", title="证书", categories=["2024", "2025", "2026"], unit=Unit.COUNT,
                  series=[Series("证书", [12, 1234, 560])])
    words = label_texts(parse(chart_svg(chart)))
    assert {"12", "1,234", "560"} <= set(words)
    assert "1,500" in words and "0" in words  # a round axis above the largest value
    assert not any(word.startswith("Target") for word in words)


def test_labels_are_escaped_and_long_ones_shortened_with_the_full_name_kept():
    long_name = "某某某某某某某某某某某某某某某某某某某某街道"
    chart = tiers_chart(categories=["<b>x</b>", long_name, "A & B"])
    svg = chart_svg(chart)
    assert "<b>" not in svg
    root = parse(svg)
    words = label_texts(root)
    assert "<b>x</b>" in words
    assert "A & B" in words
    shortened = [word for word in words if word.endswith("…")]
    assert shortened and long_name.startswith(shortened[0][:-1])
    assert long_name in [title.text for title in root.iter(f"{SVG}title")]


def test_an_empty_chart_says_so():
    for kind in ("bar", "line"):
        words = label_texts(parse(chart_svg(tiers_chart(kind=kind, categories=[], series=[]))))
        assert "No data for this chart." in words


def test_the_pdf_drawing_writes_chinese_in_the_embedded_font_and_digits_in_helvetica():
    svg = chart_svg(tiers_chart(), for_pdf=True)
    root = parse(svg)
    assert root.get("width") == str(WIDTH) and root.get("height").isdigit()
    fonts = {}
    for node in root.iter(f"{SVG}text"):
        fonts.setdefault(node.get("font-family"), []).append(node.text)
    assert set(fonts) == {PDF_CJK_FONT, "Helvetica"}
    assert {"杭州市", "机构负责人"} <= set(fonts[PDF_CJK_FONT])
    assert "85.3%" in fonts["Helvetica"]
    assert all(not any(ord(char) >= 0x2E80 for char in text) for text in fonts["Helvetica"])

    # svglib (what xhtml2pdf draws SVG with) finds that font, not a stand-in without Chinese.
    drawing = svg2rlg(io.BytesIO(svg.encode("utf-8")))
    strings = {}

    def walk(node):
        for child in getattr(node, "contents", []):
            if hasattr(child, "fontName"):
                strings[child.text] = child.fontName
            walk(child)

    walk(drawing)
    assert strings["杭州市"] == PDF_CJK_FONT and strings["85.3%"] == "Helvetica"
    from reportlab.pdfbase.pdfmetrics import getFont

    assert b"DroidSansFallback" in getFont(PDF_CJK_FONT).face.name


def test_a_mixed_label_is_cut_into_runs_placed_one_after_the_other():
    chart = tiers_chart(categories=["2026年杭州市", "宁波", "温州"])
    root = parse(chart_svg(chart, for_pdf=True))
    runs = [(node.text, float(node.get("x")), node.get("font-family")) for node in root.iter(f"{SVG}text")
            if node.text in ("2026", "年杭州市")]
    (year, year_x, year_font), (name, name_x, name_font) = runs
    assert (year, year_font, name, name_font) == ("2026", "Helvetica", "年杭州市", PDF_CJK_FONT)
    assert name_x > year_x


@pytest.mark.parametrize(("value", "unit", "text"), [
    (0.853, Unit.RATE, "85.3%"), (1.0, Unit.RATE, "100%"), (0, Unit.RATE, "0%"), (None, Unit.RATE, "—"),
    (float("nan"), Unit.COUNT, "—"), (1234, Unit.COUNT, "1,234"), (18000.0, Unit.NUMBER, "18,000"),
    (12.5, Unit.NUMBER, "12.5"), ("五级", Unit.TEXT, "五级"),
])
def test_values_are_written_as_a_reader_expects(value, unit, text):
    assert format_value(value, unit) == text
