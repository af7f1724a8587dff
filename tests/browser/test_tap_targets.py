"""Issue 13 §6: every tap target on every page of every role is at least 44×44 CSS pixels (WCAG 2.5.5, Target
Size), on a phone in WeChat (390×844).

Each role (a visitor, and every demo account of the README) signs in in a browser context of its own and visits
the pages its menu leads to, every address of the site's URL patterns that takes no argument and answers it
with a page, and the pages those link to, one page per URL pattern (or per kind of Wagtail page); pages that are
the same for every role but for the header (allauth's account pages, certificate verification, announcements) are
measured for the first role that meets them. On each page
every <details> is opened (the menu, "more filters") and every visible link, button, submit, select, summary,
check box and radio button is measured; a check box or radio button inside its label is measured as the label,
one with a separate label as the two together. The CMS (/cms/) is Wagtail's and is left out.

The one exception is WCAG 2.5.8's "inline" one: a link inside a sentence of running text (a paragraph or a list
item holding words outside its links) is sized by the line it sits in, and is not measured. A link alone in its
paragraph (the footer's, "我的学习记录 ›") is a target like any other.
"""
import re

from playwright.sync_api import Error as PlaywrightError
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from wagtail.models import Page, Site

from .conftest import PHONE
from .helpers import DEMO_ROLES, WECHAT_USER_AGENT, sign_in_demo

MINIMUM = 44
PAGES_PER_ROLE = 60
# Pages the same for every role but for the header (measured on every other page): allauth's account pages,
# certificate verification, the offline page, announcements and standard pages. Measured for the first role.
SAME_FOR_EVERY_ROLE = re.compile(r"^/(accounts|verify|offline)/|^wagtail:(AnnouncementPage|StandardPage)$")
# Addresses that are not pages to look at: files, the sign-out, the CMS, the language switch, the media.
NOT_PAGES = re.compile(
    r"logout|export|download|/qr\.svg$|\.(pdf|xlsx|csv|zip|png|svg)$|^/(media|static|documents|cms|i18n|_util)/"
)
# Measured in the page, in CSS pixels. Returns one line per target smaller than MINIMUM either way.
MEASURE = """(minimum) => {
  document.querySelectorAll("details").forEach((details) => { details.open = true; });
  const WORDS = /[\\p{L}\\p{N}]/u;
  const shown = (element) => {
    if (!element.getClientRects().length) { return false; }
    const style = getComputedStyle(element);
    return style.visibility !== "hidden" && style.display !== "none";
  };
  // WCAG 2.5.8's inline exception: a link in a sentence, whose paragraph or list item has words of its own.
  const inSentence = (link) => {
    if (getComputedStyle(link).display !== "inline") { return false; }
    const block = link.closest("p, li");
    if (!block) { return false; }
    const copy = block.cloneNode(true);
    copy.querySelectorAll("a, button").forEach((target) => target.remove());
    return WORDS.test(copy.textContent);
  };
  const union = (elements) => {
    const rects = elements.filter(shown).map((element) => element.getBoundingClientRect());
    const left = Math.min(...rects.map((r) => r.left)), right = Math.max(...rects.map((r) => r.right));
    const top = Math.min(...rects.map((r) => r.top)), bottom = Math.max(...rects.map((r) => r.bottom));
    return { width: right - left, height: bottom - top };
  };
  const describe = (element) => {
    const classes = typeof element.className === "string" && element.className.trim()
      ? "." + element.className.trim().split(/\\s+/).join(".") : "";
    const type = element.type && element.tagName === "INPUT" ? "[type=" + element.type + "]" : "";
    const text = (element.innerText || element.value || element.getAttribute("aria-label") || "").trim()
      .replace(/\\s+/g, " ").slice(0, 30);
    return element.tagName.toLowerCase() + type + (element.id ? "#" + element.id : "") + classes
      + (text ? ' "' + text + '"' : "");
  };
  const offenders = [];
  const measured = new Set();
  const selector = "a[href], button, select, summary, input[type=submit], input[type=button], "
    + "input[type=checkbox], input[type=radio]";
  document.querySelectorAll(selector).forEach((element) => {
    if (element.closest("wagtail-userbar, .wagtail-userbar")) { return; }
    let target = element, size;
    if (element.matches("input[type=checkbox], input[type=radio]")) {
      const label = element.closest("label");
      if (label) {
        target = label;
        if (!shown(label)) { return; }
        size = label.getBoundingClientRect();
      } else {
        if (!shown(element)) { return; }
        size = union([element, ...element.labels]);
      }
    } else {
      if (!shown(element) || (element.matches("a") && inSentence(element))) { return; }
      size = element.getBoundingClientRect();
    }
    // A control hidden from sight for screen readers (a one-pixel box) is no target until it is focused.
    if (measured.has(target) || size.width <= 1 || size.height <= 1) { return; }
    measured.add(target);
    if (size.width < minimum - 0.5 || size.height < minimum - 0.5) {
      offenders.push(describe(target) + " " + Math.round(size.width) + "×" + Math.round(size.height));
    }
  });
  return offenders;
}"""


def _simple_paths() -> list[str]:
    """Every address of the site's URL patterns that takes no argument (the CMS's and files' left out)."""
    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    paths = []
    for route in walk(get_resolver().url_patterns, ""):
        if "<" in route or "(" in route or "^" in route or "$" in route:
            continue
        path = "/" + route
        if not NOT_PAGES.search(path) and path not in paths:
            paths.append(path)
    return paths


def _kind(path: str) -> str:
    """Pages of one kind are measured once: the URL pattern, or for a Wagtail page its type."""
    try:
        match = resolve(path)
    except Resolver404:
        return path
    if match.url_name != "wagtail_serve":
        return match.route
    root = Site.objects.get(is_default_site=True).root_page
    page = Page.objects.filter(url_path=root.url_path + path.lstrip("/")).first()
    return f"wagtail:{page.specific_class.__name__ if page else path}"


class Visitor:
    """One role's browser context: a phone in WeChat."""

    def __init__(self, browser, base_url, role, screenshot, shared):
        self.context = browser.new_context(
            viewport=PHONE, locale="zh-CN", user_agent=WECHAT_USER_AGENT, is_mobile=True, has_touch=True,
            device_scale_factor=2,
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.base_url = base_url
        self.role = role
        self.screenshot = screenshot
        self.offenders = []
        self.visited = []
        self.measured = set()  # the kinds of page measured for this role
        self.shared = shared  # those measured for any role (SAME_FOR_EVERY_ROLE)

    def answers_a_page(self, path: str) -> bool:
        """Whether ``path`` answers this role with a page of its own (not a redirect, a refusal or a file),
        asked without a browser tab: most addresses of the URL patterns are not for every role."""
        response = self.context.request.get(self.base_url + path, max_redirects=0)
        return response.status == 200 and "text/html" in response.headers.get("content-type", "")

    def visit(self, path: str) -> list[str]:
        """Open ``path`` and, unless a page of its kind was measured already, measure its targets; answer the
        same-site links on it."""
        try:
            response = self.page.goto(self.base_url + path)
        except PlaywrightError:  # an address that only takes a POST answers 405 with no page
            return []
        if response is None or response.status >= 400 or "text/html" not in response.headers.get("content-type", ""):
            return []
        here = self.page.url.removeprefix(self.base_url)
        if self.done(here):
            return []
        self.measured.add(_kind(here.split("?")[0]))
        if SAME_FOR_EVERY_ROLE.search(here) or SAME_FOR_EVERY_ROLE.search(_kind(here.split("?")[0])):
            self.shared.add(_kind(here.split("?")[0]))
        self.visited.append(here)
        if len(self.visited) <= 3:  # a role's first pages, for a person to look at
            self.screenshot(self.page, f"tap-targets-{self.role.replace(' ', '-')}-{len(self.visited)}")
        self.offenders += [f"{self.role} {here}: {line}" for line in self.page.evaluate(MEASURE, MINIMUM)]
        hrefs = self.page.eval_on_selector_all("a[href]", "links => links.map(link => link.getAttribute('href'))")
        return [href.split("#")[0] for href in hrefs if href.startswith("/") and not href.startswith("//")]

    def done(self, path: str) -> bool:
        kind = _kind(path.split("?")[0])
        return kind in self.measured or kind in self.shared

    def walk(self, starts: list[str], addresses: list[str]) -> None:
        """From ``starts`` (the page after signing in, the menu), then the URL patterns' ``addresses`` that are
        pages for this role, following links to one page of each kind."""
        queue = list(starts) + [path for path in addresses if not self.done(path) and self.answers_a_page(path)]
        while queue and len(self.visited) < PAGES_PER_ROLE:
            path = queue.pop(0)
            address = path.split("?")[0]
            if not path or NOT_PAGES.search(address) or self.done(address):
                continue
            queue.extend(self.visit(path))

    def close(self):
        self.context.close()


def test_every_tap_target_of_every_role_is_at_least_44_pixels(live_server, browser, demo, screenshot, artifacts):
    simple_paths = _simple_paths()
    offenders, visited, shared = [], {}, set()

    visitor = Visitor(browser, live_server.url, "visitor", screenshot, shared)
    visitor.walk(["/accounts/login/", "/"], simple_paths)
    offenders += visitor.offenders
    visited["visitor"] = visitor.visited
    visitor.close()

    for mobile, role in DEMO_ROLES.items():
        visitor = Visitor(browser, live_server.url, role, screenshot, shared)
        sign_in_demo(visitor.page, live_server.url, mobile)
        assert "/accounts/login/" not in visitor.page.url, f"{role} could not sign in"
        start = visitor.page.url.removeprefix(live_server.url)
        menu = visitor.page.eval_on_selector_all(
            "nav.menu-panel a[href]", "links => links.map(link => link.getAttribute('href'))"
        )
        visitor.walk([start, *menu, "/"], simple_paths)
        offenders += visitor.offenders
        visited[role] = visitor.visited
        visitor.close()

    (artifacts / "tap-targets.txt").write_text(
        "".join(f"{role}: {' '.join(pages)}\n" for role, pages in visited.items()) + "\n" + "\n".join(offenders)
    )
    # Each role saw its own pages: trainees their learning, administrators their management pages.
    assert "/learn/" in visited["child director"]
    assert "/manage/people/" in visited["county administrator"]
    assert "/certification/assess/" in visited["assessor"]
    assert all(len(pages) >= 5 for pages in visited.values()), visited
    assert offenders == [], "\n".join(offenders)
