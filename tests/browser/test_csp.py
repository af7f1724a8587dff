"""No page breaks the Content-Security-Policy or calls an outside host: with the demo data, an anonymous visitor and
every demo role sign in and walk the pages their menu and home page lead to (and the CMS for its two roles), while
Chromium reports every `securitypolicyviolation` event, every console message about the policy and every request
the pages make to a host other than the platform's."""
import re
from urllib.parse import urlsplit

from wagtail.models import Page

from certification.models import Certificate

from .conftest import DESKTOP
from .helpers import CMS_ROLES, DEMO_ROLES, sign_in_demo

ROLES = DEMO_ROLES
PAGES_PER_ROLE = 30
# Links that leave the page's HTML (files, sign-out) are not walked.
NOT_PAGES = re.compile(r"logout|export|download|\.(pdf|png|xlsx|csv|zip)$|^/(media|static|documents)/|^/cms/")
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " blocked " + (event.blockedURI || "?") + " at "
    + event.sourceFile + ":" + event.lineNumber);
});
"""


def _pattern(path: str) -> str:
    """Pages of one kind (a person, a session) are walked once: ids and uuids stand for any."""
    return re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+", "N", path)


class Walker:
    def __init__(self, browser, base_url):
        self.context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        self.context.add_init_script(LISTEN)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.base_url = base_url
        self.console = []
        # Any request to another host (a CDN, gravatar, Wagtail's update check) is a problem; data: and blob: are not.
        own_host = urlsplit(base_url).netloc
        self.context.on("request", lambda request: (
            self.console.append(f"{self.page.url}: request to another host {request.url}")
            if urlsplit(request.url).scheme in ("http", "https", "ws", "wss") and urlsplit(request.url).netloc != own_host
            else None
        ))
        self.page.on("console", lambda message: (
            self.console.append(f"{self.page.url}: {message.text}")
            if "Content Security Policy" in message.text else None
        ))

    def visit(self, path: str) -> list[str]:
        """Open ``path``; answer the same-site links on it. Records the violations of the page."""
        response = self.page.goto(self.base_url + path)
        assert response is not None
        if "text/html" not in response.headers.get("content-type", ""):
            return []
        assert "content-security-policy" in response.headers, path
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(100)  # deferred scripts and what they fetch
        for violation in self.page.evaluate("window.__cspViolations || []"):
            self.console.append(f"{path}: {violation}")
        hrefs = self.page.eval_on_selector_all("a[href]", "links => links.map(link => link.getAttribute('href'))")
        return [href.split("#")[0] for href in hrefs if href.startswith("/") and not href.startswith("//")]

    def walk(self, starts: list[str], limit: int = PAGES_PER_ROLE) -> int:
        queue, seen, visited = list(starts), set(), 0
        while queue and visited < limit:
            path = queue.pop(0)
            if not path or NOT_PAGES.search(path.split("?")[0]) or _pattern(path.split("?")[0]) in seen:
                continue
            seen.add(_pattern(path.split("?")[0]))
            queue.extend(self.visit(path))
            visited += 1
        return visited

    def close(self):
        self.context.close()


def test_no_page_of_any_role_violates_the_policy_or_calls_an_outside_host(live_server, browser, demo):
    problems, walked = [], {}

    anonymous = Walker(browser, live_server.url)
    certificate = Certificate.objects.first()
    walked["anonymous"] = anonymous.walk(
        ["/", "/accounts/login/", "/accounts/login/code/", "/verify/", "/verify/upload/",
         certificate.get_absolute_url() if certificate else "/verify/"]
    )
    problems += [f"anonymous {line}" for line in anonymous.console]
    anonymous.close()

    for mobile, role in ROLES.items():
        walker = Walker(browser, live_server.url)
        sign_in_demo(walker.page, live_server.url, mobile)
        assert "/accounts/login/" not in walker.page.url, f"{role} could not sign in"
        start = walker.page.url.removeprefix(live_server.url)
        menu = walker.page.eval_on_selector_all(
            "nav.menu-panel a[href]", "links => links.map(link => link.getAttribute('href'))"
        )
        walked[role] = walker.walk([start, *menu, "/"])
        if mobile in CMS_ROLES:
            walked[f"{role} (CMS)"] = _walk_cms(walker)
        problems += [f"{role} {line}" for line in walker.console]
        walker.close()

    assert all(count >= 3 for count in walked.values()), walked
    assert problems == [], "\n".join(problems)


def _walk_cms(walker) -> int:
    """The CMS's main pages: the dashboard, the page tree, editing a page of each kind, images, documents."""
    paths = ["/cms/", "/cms/pages/", "/cms/images/", "/cms/documents/", "/cms/snippets/", "/cms/users/"]
    kinds = {}
    for page in Page.objects.live().specific().exclude(depth=1):
        kinds.setdefault(type(page).__name__, page)
    paths += [f"/cms/pages/{page.pk}/" for page in kinds.values()][:2]
    paths += [f"/cms/pages/{page.pk}/edit/" for page in kinds.values()]
    for path in paths:
        walker.visit(path)
    return len(paths)
