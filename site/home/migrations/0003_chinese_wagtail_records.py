"""Records Wagtail's migrations create in English, named in Chinese as long as nobody has renamed them:
- the default moderation workflow and its task, "Moderators approval" (from the group's name), which the page
  editor then offered as "提交给Moderators approval";
- the tree's root page, "Root", the title of the CMS's top page list.
The Moderators group keeps its name (academy/demo looks groups up by name)."""
from django.db import migrations

NAMES = [  # (model, which rows, field, English, Chinese)
    ("wagtailcore.Workflow", {}, "name", "Moderators approval", "审核员审批"),
    ("wagtailcore.Task", {}, "name", "Moderators approval", "审核员审批"),
    ("wagtailcore.Page", {"depth": 1}, "title", "Root", "根级别"),
    ("wagtailcore.Page", {"depth": 1}, "draft_title", "Root", "根级别"),
]


def rename(apps, *, to_chinese: bool):
    for model, rows, field, english, chinese in NAMES:
        old, new = (english, chinese) if to_chinese else (chinese, english)
        apps.get_model(model).objects.filter(**rows, **{field: old}).update(**{field: new})


def to_chinese(apps, schema_editor):
    rename(apps, to_chinese=True)


def to_english(apps, schema_editor):
    rename(apps, to_chinese=False)


class Migration(migrations.Migration):

    dependencies = [
        ("home", "0002_hosting_settings"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.RunPython(to_chinese, to_english),
    ]
