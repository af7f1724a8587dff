"""The CMS (Wagtail's admin) is in Chinese for content editors, as the rest of the platform.

Wagtail's own zh_Hans catalogue leaves about a third of the admin's messages untranslated ("35 Pages",
"Search all pages…", "Edit account avatar"), so site/locale_wagtail holds their Chinese (LOCALE_PATHS puts it
ahead of Wagtail's). The screens an editor works in are rendered in Chinese here, and their visible text (text
nodes, and the attributes a person reads or hears: placeholders, titles, labels) must hold no English phrase.
Names that stay English in Chinese too (Wagtail, PDF, ...) are listed below; the content made here is Chinese.
"""
import json
import re

import pytest
from bs4 import BeautifulSoup, NavigableString
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation
from wagtail.admin.menu import help_menu
from wagtail.documents.models import Document
from wagtail.models import Page, Site

from academy.home.models import AnnouncementPage, HomePage
from academy.jobs import JOB_INTERRUPTED
from courses.models import Video, VideoTranscodeJob
from tests.factories import user_with_role
from tests.wagtail_catalogue import wagtail_messages

# English: a word of Latin letters, or several in a row ("35 Pages", "Search all pages…", "Theme").
ENGLISH = re.compile(r"(?<![\w])[A-Za-z]{2,}(?:[ '’-]+[A-Za-z]+)*(?![\w])", re.ASCII)
# Words that Chinese text keeps in Latin letters; acronyms (PDF, URL, CSV) are kept too.
KEPT = {"Wagtail", "Draftail", "Markdown", "WebVTT", "Unicode", "Alt", "Ctrl", "Esc", "Shift", "Enter", "Tab"}
# Text that is no message: code, keys, e-mail addresses and web addresses (the help's examples among them), a
# frame's fallback, and the side panel's counter (Wagtail writes "None" into it, hidden until scripts count).
NOT_TEXT = ["script", "style", "noscript", "title", "iframe", "code", "kbd", "pre", "samp"]
NOT_TEXT_SELECTORS = ["[data-side-panel-toggle-counter]"]
ADDRESS = re.compile(r"\S+@\S+|\S*(?:://|\.\w)\S*")
# Choices that name themselves: time zones ("Asia/Shanghai") and languages in their own tongue ("Deutsch").
SELF_NAMED = ["select[name$=current_time_zone] option", "select[name$=preferred_language] option"]
HOSTNAME = "academy.example.cn"
PLACEHOLDER_OR_TAG = re.compile(r"%(?:\([^)]*\))?[sd]|\{\w*\}|<[^>]+>")
# Records Wagtail's own migrations create in English: the root page, the welcome page and the default groups
# (academy/demo finds "Editors" by name). They are content, not messages. The default workflow, which the editor
# offers as "提交给…", is renamed into Chinese (home/migrations/0003).
WAGTAIL_RECORDS = {"Root", "Welcome to your new Wagtail site", "Editors", "Moderators"}
READ_ATTRIBUTES = ["placeholder", "title", "aria-label", "alt", "data-w-tooltip-content-value"]


@pytest.fixture
def site_pages(db):
    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="儿童福利学院", slug="academy", introduction="培训。"))
    Site.objects.update_or_create(is_default_site=True, defaults={"root_page": home, "hostname": HOSTNAME})
    announcement = home.add_child(instance=AnnouncementPage(title="督导员培训开班", slug="training", summary="上线。"))
    announcement.save_revision().publish()
    Document.objects.create(title="培训手册", file=ContentFile(b"%PDF-1.4\n", name="manual.pdf"))
    return home, announcement


@pytest.fixture
def cms(client, settings, site_pages):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(user_with_role("system_admin"))
    return client


def english_in(html):
    """The English words and phrases a person sees or hears on the page."""
    soup = BeautifulSoup(html, "lxml")
    for hidden in soup(NOT_TEXT) + soup.select(", ".join(NOT_TEXT_SELECTORS + SELF_NAMED)):
        hidden.decompose()
    # Comments and the doctype are strings too, of their own classes.
    texts = [text.strip() for text in soup.find_all(string=True) if type(text) is NavigableString]
    attributes = [tag[name].strip() for name in READ_ATTRIBUTES for tag in soup.find_all(attrs={name: True})]
    return sorted({phrase for text in texts + attributes for phrase in english_phrases(text)})


def english_phrases(text):
    for name in sorted(WAGTAIL_RECORDS, key=len, reverse=True):
        text = text.replace(name, " ")
    return [
        phrase for phrase in ENGLISH.findall(ADDRESS.sub(" ", text))
        if not all(word in KEPT or word.isupper() for word in re.split(r"[ '’-]+", phrase))
    ]


def editor_screens(home, announcement):
    return [
        "/cms/",
        "/cms/pages/",
        f"/cms/pages/{home.pk}/",
        f"/cms/pages/{announcement.pk}/edit/",
        f"/cms/pages/add/home/announcementpage/{home.pk}/",
        "/cms/pages/search/?q=培训",
        "/cms/images/",
        "/cms/images/multiple/add/",
        "/cms/documents/",
        "/cms/documents/multiple/add/",
        "/cms/snippets/",
        "/cms/settings/home/hostingsettings/",
        "/cms/account/",
        "/cms/reports/locked/",
        "/cms/reports/site-history/",
        "/cms/users/",
        "/cms/redirects/",
    ]


def test_the_editor_screens_show_no_english(cms, site_pages):
    english = {}
    for url in editor_screens(*site_pages):
        response = cms.get(url, follow=True)
        assert response.status_code == 200, url
        if found := english_in(response.content.decode()):
            english[url] = found
    assert english == {}


def test_the_video_screens_and_their_transcoding_show_no_english(cms):
    """A video whose transcoding failed: the listing's column and "重新转码", the edit view's panel, the page that
    runs it again."""
    video = Video.objects.create(title="家访示范", file=ContentFile(b"placeholder", name="visit.mp4"))
    VideoTranscodeJob.objects.create(
        video=video, status=VideoTranscodeJob.Status.FAILED, failure_message=JOB_INTERRUPTED
    )
    english = {}
    for url in [
        reverse("wagtailsnippets_courses_video:list"),
        reverse("wagtailsnippets_courses_video:edit", args=[video.pk]),
        reverse("wagtailsnippets_courses_video:transcoding", args=[video.pk]),
    ]:
        response = cms.get(url)
        assert response.status_code == 200 and "重新转码" in response.content.decode(), url
        if found := english_in(response.content.decode()):
            english[url] = found
    assert english == {}


def test_the_snippet_screens_stay_chinese_after_the_cms_was_first_opened_in_english(cms):
    """Wagtail labels a snippet's breadcrumbs when the CMS's addresses are built, in the language of whoever
    came first: after an English visit, every editor read "Home"."""
    with translation.override("en"):
        english_first = Video.snippet_viewset.breadcrumbs_items
    with translation.override("zh-hans"):
        assert [str(item["label"]) for item in english_first] == ["首页"]
    response = cms.get(reverse("wagtailsnippets_courses_video:list"))
    assert english_in(response.content.decode()) == []


def test_the_sidebar_menu_is_chinese(cms):
    """The sidebar is drawn by scripts from the JSON in #wagtail-sidebar-props. Its "Pages" showed "分页" (our
    pagination's word), now kept apart by a context."""
    soup = BeautifulSoup(cms.get("/cms/").content.decode(), "lxml")
    labels = re.findall(r'"label": "((?:[^"\\]|\\.)*)"', soup.find(id="wagtail-sidebar-props").string)
    labels = [json.loads(f'"{label}"') for label in labels]
    assert "页面" in labels and "分页" not in labels
    assert [label for label in labels if english_phrases(label)] == []


def test_the_sidebar_stays_chinese_after_the_cms_was_first_opened_in_english(cms):
    """Wagtail builds its help menu once a process, and formats "What's new in Wagtail %(version)s" as it does:
    in the language of whoever opened the CMS first. That item (the framework's release notes on wagtail.org,
    news for the platform's developers) is left out."""
    help_menu.__dict__.pop("registered_menu_items", None)  # as in a process just started
    cms.cookies["django_language"] = "en"
    cms.get("/cms/")
    del cms.cookies["django_language"]
    soup = BeautifulSoup(cms.get("/cms/").content.decode(), "lxml")
    labels = re.findall(r'"label": "((?:[^"\\]|\\.)*)"', soup.find(id="wagtail-sidebar-props").string)
    assert [label for label in labels if english_phrases(json.loads(f'"{label}"'))] == []


def test_the_admin_scripts_strings_are_chinese(cms):
    """The strings the admin's scripts show (Wagtail's djangojs catalogue) come from /cms/jsi18n/."""
    script = cms.get(reverse("wagtailadmin_javascript_catalog")).content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});", script, re.S).group(1))
    keys = {entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
            for entry in wagtail_messages("djangojs")}
    assert sorted(keys - set(catalog)) == []


def test_the_check_finds_english_in_text_and_attributes():
    html = """<!DOCTYPE html><p>35 Pages</p><input placeholder="Search all pages…"><span>Theme</span>
              <b>Wagtail</b><script>var s = "Not shown";</script><!-- a comment --><p>页面</p>
              <a title="在 Wagtail 中编辑">PDF</a><p>例如 https://example.com/my-work 或 user@example.org</p>
              <kbd>Ctrl</kbd> + <code>div</code> <span>user0</span> <iframe><div>Fallback</div></iframe>"""
    assert english_in(html) == ["Pages", "Search all pages", "Theme"]


def test_wagtail_admin_messages_that_wagtail_leaves_in_english_are_translated():
    """Every message of Wagtail's installed apps, in Python and templates as in the admin's scripts."""
    untranslated = []
    with translation.override("zh-hans"):
        for entry in wagtail_messages("django"):
            if entry.msgid_plural is not None:
                shown = translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 2) if entry.msgctxt \
                    else translation.ngettext(entry.msgid, entry.msgid_plural, 2)
                english = entry.msgid_plural
            else:
                shown = translation.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt \
                    else translation.gettext(entry.msgid)
                english = entry.msgid
            # A message of names and placeholders only ("URL", "%(label)s") reads the same in Chinese.
            if shown == english and english_phrases(PLACEHOLDER_OR_TAG.sub(" ", english)):
                untranslated.append(entry.msgid)
    assert untranslated == []


def test_the_trees_root_page_is_named_in_chinese(db):
    """Wagtail's migrations make the root page "Root", the title of the CMS's top page list."""
    assert Page.get_first_root_node().title == "根级别"
