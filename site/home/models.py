import re
import uuid

from django.core.cache import cache
from django.core.validators import RegexValidator
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import BaseStreamBlock

# A public security filing number: the province's short name, 公网安备, the 14-digit record code, 号.
PUBLIC_SECURITY_NUMBER = r"^\D*公网安备(?P<code>\d{14})号$"
PUBLIC_SECURITY_RECORD_URL = "https://beian.mps.gov.cn/#/query/webSearch?code="
ICP_FILING_URL = "https://beian.miit.gov.cn/"
# Moved on whenever filing numbers are saved, so that the footer's cached copy (selectors.py) is left behind.
HOSTING_SETTINGS_VERSION_KEY = "home:hosting-settings:version"


class HomePage(Page):
    """The site's front page: a welcome, and the latest announcements edited in the CMS."""

    introduction = models.TextField(_("introduction"), blank=True)
    body = StreamField(BaseStreamBlock(), verbose_name=_("body"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("introduction"), FieldPanel("body")]
    subpage_types = ["home.AnnouncementPage", "home.StandardPage", "courses.CourseIndexPage"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def route(self, request, path_components):
        """Find the page for the rest of the address in one query, where Wagtail asks one (or two) per level:
        lessons sit four levels down and are opened on weak networks all day. None of the page types below
        routes addresses of its own, so the page whose URL path matches is the answer."""
        if not path_components:
            return super().route(request, path_components)
        url_path = self.url_path + "/".join(path_components) + "/"
        page = Page.objects.filter(url_path=url_path, path__startswith=self.path).first()
        if page is None:
            raise Http404
        return page.specific.route(request, [])

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["announcements"] = (
            AnnouncementPage.objects.live().public().child_of(self).order_by("-is_pinned", "-first_published_at")[:5]
        )
        return context


class AnnouncementPage(Page):
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = StreamField(BaseStreamBlock(), verbose_name=_("body"))
    is_pinned = models.BooleanField(_("pinned"), default=False, help_text=_("Pinned announcements come first."))

    content_panels = Page.content_panels + [FieldPanel("summary"), FieldPanel("is_pinned"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("body")]
    parent_page_types = ["home.HomePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")


class StandardPage(Page):
    """A plain page: help, policies, contact."""

    introduction = models.TextField(_("introduction"), blank=True)
    body = StreamField(BaseStreamBlock(), verbose_name=_("body"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("introduction"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("introduction"), index.SearchField("body")]
    subpage_types = ["home.StandardPage"]

    class Meta:
        verbose_name = _("standard page")


@register_setting(icon="site")
class HostingSettings(BaseSiteSetting):
    """The filing numbers a website hosted in mainland China must show in its footer: the MIIT's ICP filing
    (ICP备案号), linked to beian.miit.gov.cn, and the Ministry of Public Security's filing (公安备案号), linked to
    its record on beian.mps.gov.cn. Edited in the CMS, because they arrive after the site is deployed."""

    icp_number = models.CharField(
        _("ICP filing number"), max_length=60, blank=True,
        help_text=_("As issued, for example 浙ICP备12345678号-1. Shown in the footer, linked to the MIIT's filing site."),
    )
    public_security_number = models.CharField(
        _("public security filing number"), max_length=60, blank=True,
        validators=[RegexValidator(PUBLIC_SECURITY_NUMBER, _("Write the number as issued, for example 浙公网安备33010602011771号."))],
        help_text=_("As issued, for example 浙公网安备33010602011771号. Shown in the footer, linked to its record."),
    )

    panels = [FieldPanel("icp_number"), FieldPanel("public_security_number")]

    class Meta:
        verbose_name = _("filing numbers")

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        cache.set(HOSTING_SETTINGS_VERSION_KEY, uuid.uuid4().hex, timeout=None)

    @property
    def icp_filing_url(self) -> str:
        return ICP_FILING_URL

    @property
    def public_security_record_url(self) -> str:
        """The record's page on the ministry's filing site, found by the number's 14 digits."""
        match = re.search(PUBLIC_SECURITY_NUMBER, self.public_security_number)
        return PUBLIC_SECURITY_RECORD_URL + match.group("code") if match else ""
