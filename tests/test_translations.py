"""Both catalogues are complete: Simplified Chinese (the default language) and English.

A message left empty or fuzzy shows English (or nothing useful) to a Chinese user, and a translation that
drops or changes a placeholder shows the wrong figure or fails at run time ("%(name)s" is filled by name).
The .po files are read here with a few lines of Python, so the check needs no gettext tools; the .mo files
are committed (a fresh machine may lack gettext), so they must match their .po files.
"""
import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation

LOCALE_DIR = Path(__file__).resolve().parent.parent / "site" / "locale"
CATALOGUES = {"zh_Hans": 1, "en": 2}  # language folder -> number of plural forms
# The Chinese for the admin messages Wagtail's zh_Hans catalogue leaves in English (tests/wagtail_catalogue.py).
WAGTAIL_LOCALE_DIR = LOCALE_DIR.parent / "locale_wagtail" / "zh_Hans" / "LC_MESSAGES"
WAGTAIL_CATALOGUES = [WAGTAIL_LOCALE_DIR / "django.po", WAGTAIL_LOCALE_DIR / "djangojs.po"]
CHINESE_CATALOGUES = [LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po", *WAGTAIL_CATALOGUES]
ALL_CATALOGUES = [LOCALE_DIR / language / "LC_MESSAGES" / "django.po" for language in CATALOGUES] + WAGTAIL_CATALOGUES

# %(name)s, %s, %d, %.1f ... and the escaped percent sign %%, as Python's % operator reads them.
PYTHON_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[sdifrxXeEgGc%]")
# {name} as str.format reads it, without the escaped braces {{ and }}.
BRACE_PLACEHOLDER = re.compile(r"(?<!{){[^{}]*}(?!})")


@dataclass
class Entry:
    line: int
    flags: list = field(default_factory=list)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict = field(default_factory=dict)  # plural index (0 for a singular entry) -> text

    @property
    def label(self):
        return f"line {self.line}: {self.msgid!r}"


def read_po(path):
    """The entries of a .po file, obsolete ones (#~) left out. The header is the entry with msgid ""."""
    entries = []
    entry, key = None, None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#~"):
            entry, key = None, None
            continue
        if entry is None:
            entry = Entry(line=number)
            entries.append(entry)
        if line.startswith("#,"):
            entry.flags += [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            _append(entry, key, ast.literal_eval(line))
        else:
            key, _, value = line.partition(" ")
            if not re.fullmatch(r"msgctxt|msgid|msgid_plural|msgstr(\[\d+\])?", key):
                raise ValueError(f"{path}:{number}: unexpected {key!r}")
            if key.startswith("msgstr"):
                entry.msgstr[int(key[7:-1]) if "[" in key else 0] = ""
            else:
                setattr(entry, key, "")
            _append(entry, key, ast.literal_eval(value))
    return entries


def _append(entry, key, text):
    if key.startswith("msgstr"):
        index = int(key[7:-1]) if "[" in key else 0
        entry.msgstr[index] += text
    else:
        setattr(entry, key, getattr(entry, key) + text)


def catalogue(language):
    return read_po(LOCALE_DIR / language / "LC_MESSAGES" / "django.po")


def messages(language):
    return [entry for entry in catalogue(language) if entry.msgid]


def messages_in(path):
    return [entry for entry in read_po(path) if entry.msgid]


def header(language):
    (entry,) = [entry for entry in catalogue(language) if not entry.msgid]
    return entry


def python_placeholders(text):
    return sorted(PYTHON_PLACEHOLDER.findall(text))


def brace_placeholders(text):
    return sorted(BRACE_PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", CATALOGUES)
def test_catalogue_has_messages_and_a_header_for_its_plural_forms(language):
    assert len(messages(language)) > 500
    entry = header(language)
    assert "fuzzy" not in entry.flags
    assert f"Plural-Forms: nplurals={CATALOGUES[language]};" in entry.msgstr[0]


@pytest.mark.parametrize("language", CATALOGUES)
def test_no_message_is_fuzzy(language):
    fuzzy = [entry.label for entry in messages(language) if "fuzzy" in entry.flags]
    assert fuzzy == []


@pytest.mark.parametrize("language", CATALOGUES)
def test_every_message_and_every_plural_form_is_translated(language):
    forms = range(CATALOGUES[language])
    empty = []
    for entry in messages(language):
        expected = list(forms) if entry.msgid_plural is not None else [0]
        if sorted(entry.msgstr) != expected or not all(entry.msgstr[index].strip() for index in expected):
            empty.append(entry.label)
    assert empty == []


@pytest.mark.parametrize("path", WAGTAIL_CATALOGUES, ids=lambda path: path.name)
def test_wagtail_messages_are_translated_and_none_is_fuzzy(path):
    """One plural form in Chinese: msgstr[0] serves every count."""
    assert "Plural-Forms: nplurals=1;" in read_po(path)[0].msgstr[0]
    empty = [
        entry.label for entry in messages_in(path)
        if "fuzzy" in entry.flags or sorted(entry.msgstr) != [0] or not entry.msgstr[0].strip()
    ]
    assert empty == []


def test_english_messages_are_their_own_msgids():
    different = []
    for entry in messages("en"):
        expected = {0: entry.msgid} if entry.msgid_plural is None else {0: entry.msgid, 1: entry.msgid_plural}
        if entry.msgstr != expected:
            different.append(entry.label)
    assert different == []


@pytest.mark.parametrize("path", CHINESE_CATALOGUES, ids=lambda path: path.parts[-4] + "/" + path.name)
def test_chinese_keeps_every_python_placeholder(path):
    """Checked on every message that holds one, flagged python-format or not: blocktranslate writes
    {{ name }} as %(name)s. A plural message is compared with its plural msgid, which names the count."""
    broken = []
    for entry in messages_in(path):
        source = entry.msgid_plural if entry.msgid_plural is not None else entry.msgid
        if "python-format" not in entry.flags and not python_placeholders(source):
            continue
        if python_placeholders(entry.msgstr[0]) != python_placeholders(source):
            broken.append(f"{entry.label} -> {entry.msgstr[0]!r}")
    assert broken == []


@pytest.mark.parametrize("path", CHINESE_CATALOGUES, ids=lambda path: path.parts[-4] + "/" + path.name)
def test_chinese_keeps_every_brace_placeholder(path):
    broken = []
    for entry in messages_in(path):
        if "python-brace-format" not in entry.flags:
            continue
        if brace_placeholders(entry.msgstr[0]) != brace_placeholders(entry.msgid):
            broken.append(f"{entry.label} -> {entry.msgstr[0]!r}")
    assert broken == []


@pytest.mark.parametrize("path", CHINESE_CATALOGUES, ids=lambda path: path.parts[-4] + "/" + path.name)
def test_chinese_keeps_every_html_tag(path):
    tag = re.compile(r"</?[a-zA-Z][^>]*>")
    broken = [
        entry.label for entry in messages_in(path)
        if sorted(tag.findall(entry.msgstr[0])) != sorted(tag.findall(entry.msgid_plural or entry.msgid))
    ]
    assert broken == []


def test_the_checks_catch_a_dropped_or_renamed_placeholder():
    assert python_placeholders("已报名%(count)s人") != python_placeholders("%(counter)s people enrolled")
    assert python_placeholders("完成%(percent)s%") != python_placeholders("%(percent)s%% done")
    assert brace_placeholders("已检查{processed}行") != brace_placeholders("Checked {processed} of {total} rows")
    assert python_placeholders("已完成%(percent)s%%") == python_placeholders("%(percent)s%% done")


@pytest.mark.parametrize("path", ALL_CATALOGUES, ids=lambda path: "/".join(path.parts[-4:-2] + (path.name,)))
def test_compiled_catalogue_matches_its_po_file(path):
    """The .mo files are committed: after editing a .po file, run manage.py compilemessages."""
    with open(path.with_suffix(".mo"), "rb") as file:
        compiled = gettext.GNUTranslations(file)
    stale = []
    for entry in messages_in(path):
        if entry.msgid_plural is None:
            shown = compiled.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else compiled.gettext(entry.msgid)
        elif entry.msgctxt:
            shown = compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
        else:
            shown = compiled.ngettext(entry.msgid, entry.msgid_plural, 1)
        if shown != entry.msgstr[0]:
            stale.append(entry.label)
    assert stale == []


def test_the_default_language_shows_chinese():
    with translation.override("zh-hans"):
        assert translation.gettext("Sign in") == "登录"
        assert translation.gettext("Child supervisor") == "儿童督导员"
        assert translation.gettext("Name") == "姓名"  # of a person
        assert translation.pgettext("place", "Name") == "名称"  # of a region or an institution
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"


# An ASCII colon or comma after a Chinese character (a placeholder may stand between them), where Chinese
# text takes "：" and "，". Placeholders like %(name)s end in a letter, so "%(a)s:" after Chinese is caught too.
WESTERN_PUNCTUATION = re.compile(r"[\u3400-\u9fff\uff09\u300b\u201d](?:%\([^)]*\)[sd])?[:,](?=\s|[\u3400-\u9fff%\d–-]|$)")


@pytest.mark.parametrize("path", CHINESE_CATALOGUES, ids=lambda path: path.parts[-4] + "/" + path.name)
def test_chinese_messages_use_chinese_punctuation(path):
    """Issue 13: "考勤: 未登记", "已学完0/5课, 考试尚未通过" carried Western punctuation."""
    catalogue = read_po(path)
    wrong = [
        f"{entry.label} -> {text!r}"
        for entry in catalogue if entry.msgid
        for text in entry.msgstr.values() if WESTERN_PUNCTUATION.search(text)
    ]
    assert wrong == []


def test_templates_put_no_western_punctuation_after_translated_text():
    """A ": " or ", " written in a template after a translated word showed "考勤: 未登记" in Chinese: such
    separators are translated too ({% translate ": " context "label separator" %})."""
    templates = Path(__file__).resolve().parent.parent / "templates"
    wrong = [
        f"{path.relative_to(templates)}: {match.group(0)!r}"
        for path in templates.rglob("*.html")
        for match in re.finditer(r".{0,40}%\}[:,] ", path.read_text(encoding="utf-8"))
    ]
    assert wrong == []
