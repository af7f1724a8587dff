"""Brings site/locale_wagtail/zh_Hans up to date with the installed Wagtail (run after upgrading it):

    .venv/bin/python -m tests.wagtail_catalogue

Wagtail's own zh_Hans catalogues lack a third of the admin's messages, which the CMS then shows in English.
This catalogue holds exactly those: every msgid (with its msgctxt and msgid_plural) of an installed Wagtail
app's source catalogue (locale/en) that the app's zh_Hans catalogue leaves empty, fuzzy or out. Translations
already made here are kept; messages Wagtail has since translated or dropped are removed; new ones are added
empty, for tests/test_translations.py to point out. Then run manage.py compilemessages.
"""
import os
from pathlib import Path

import django
from django.apps import apps

from tests.test_translations import WAGTAIL_LOCALE_DIR, read_po

DOMAINS = ["django", "djangojs"]
HEADER = """\
# Simplified Chinese for the messages that Wagtail's own zh_Hans catalogue leaves untranslated.
# Written by tests/wagtail_catalogue.py; msgids are Wagtail's, unchanged.
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: zh_Hans\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"
"""


def wagtail_locale_dirs():
    """The locale folders of the installed Wagtail apps, in INSTALLED_APPS order."""
    return [
        Path(app.path) / "locale" for app in apps.get_app_configs()
        if app.name.split(".")[0] == "wagtail" and (Path(app.path) / "locale").is_dir()
    ]


def key(entry):
    return (entry.msgctxt, entry.msgid)


def is_translated(entry):
    return "fuzzy" not in entry.flags and bool(entry.msgstr) and all(text.strip() for text in entry.msgstr.values())


def wagtail_messages(domain):
    """The messages of the installed Wagtail apps, from their source catalogues (locale/en)."""
    return [
        entry
        for locale_dir in wagtail_locale_dirs()
        for path in [locale_dir / "en" / "LC_MESSAGES" / f"{domain}.po"] if path.exists()
        for entry in read_po(path) if entry.msgid
    ]


def missing_messages(domain):
    """Wagtail's source entries (locale/en) that no installed Wagtail app translates into zh_Hans."""
    sources, translated = {}, set()
    for entry in wagtail_messages(domain):
        sources.setdefault(key(entry), entry)
    for locale_dir in wagtail_locale_dirs():
        chinese = locale_dir / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po"
        if chinese.exists():
            translated |= {key(entry) for entry in read_po(chinese) if entry.msgid and is_translated(entry)}
    return [entry for entry_key, entry in sources.items() if entry_key not in translated]


def quote(text):
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def write_po(path, entries):
    lines = [HEADER]
    for entry in entries:
        flags = [flag for flag in entry.flags if flag.endswith("-format")]
        if flags:
            lines.append(f"#, {', '.join(flags)}")
        if entry.msgctxt is not None:
            lines.append(f"msgctxt {quote(entry.msgctxt)}")
        lines.append(f"msgid {quote(entry.msgid)}")
        if entry.msgid_plural is not None:
            lines.append(f"msgid_plural {quote(entry.msgid_plural)}")
            lines.append(f"msgstr[0] {quote(entry.msgstr.get(0, ''))}")
        else:
            lines.append(f"msgstr {quote(entry.msgstr.get(0, ''))}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def sync(domain):
    path = WAGTAIL_LOCALE_DIR / f"{domain}.po"
    ours = {key(entry): entry for entry in read_po(path) if entry.msgid} if path.exists() else {}
    entries = []
    for entry in missing_messages(domain):
        if key(entry) in ours:
            entry.msgstr = {0: ours[key(entry)].msgstr.get(0, "")}
        else:
            entry.msgstr = {0: ""}
        entries.append(entry)
    write_po(path, entries)
    return entries


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.settings.dev")
    django.setup()
    for domain in DOMAINS:
        entries = sync(domain)
        empty = sum(1 for entry in entries if not entry.msgstr[0].strip())
        print(f"{domain}: {len(entries)} messages, {empty} untranslated")
