import pytest
from django.core.management import CommandError, call_command

from academy.organisation.models import Region
from academy.organisation.regions import DivisionFileError, load_divisions

pytestmark = pytest.mark.django_db

JIANGSU = """code,name,level,parent_code
32,江苏省,province,
3201,南京市,city,32
320102,玄武区,county,3201
320102001,梅园新村街道,township,320102
"""


def write(tmp_path, text, name="divisions.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_zhejiang_is_loaded_to_township_level():
    assert Region.objects.get(code="33").name == "浙江省"
    assert Region.objects.filter(level="city", code__startswith="33").count() == 11
    assert Region.objects.filter(level="county", code__startswith="33").count() == 90
    assert Region.objects.filter(level="township", code__startswith="33").count() == 1364
    assert Region.objects.get(code="330106").parent_id == "3301"


def test_another_province_loads_from_a_file_of_the_same_shape_and_reloading_changes_nothing(tmp_path):
    path = write(tmp_path, JIANGSU)
    assert load_divisions(path) == (4, 0)
    assert load_divisions(path) == (0, 0)
    assert Region.objects.get(code="320102001").parent.parent.name == "南京市"


def test_a_renamed_division_is_updated(tmp_path):
    load_divisions(write(tmp_path, JIANGSU))
    assert load_divisions(write(tmp_path, JIANGSU.replace("玄武区", "玄武新区"))) == (0, 1)
    assert Region.objects.get(code="320102").name == "玄武新区"


@pytest.mark.parametrize(
    "line, message",
    [
        ("3201999,错误,county,3201", "row 6, code"),
        ("320102002,无上级,township,320199", "row 6, parent_code"),
        ("320102002,错级,hamlet,320102", "row 6, level"),
        ("3201,重复,city,32", "row 6, code"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_written(tmp_path, line, message):
    path = write(tmp_path, JIANGSU + line + "\n")
    with pytest.raises(DivisionFileError, match=message):
        load_divisions(path)
    assert not Region.objects.filter(code__startswith="32").exists()


def test_the_command_reports_a_bad_file_as_an_error(tmp_path):
    with pytest.raises(CommandError, match="missing columns"):
        call_command("load_regions", file=write(tmp_path, "code,name\n32,江苏省\n"))
