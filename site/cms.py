"""What the platform's CMS screens share beyond Wagtail's own."""
from django.conf import settings
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.snippets.views.snippets import SnippetViewSet as WagtailSnippetViewSet


class SnippetViewSet(WagtailSnippetViewSet):
    """Wagtail's snippet viewset with breadcrumbs translated when a page is shown. Wagtail's own are labelled
    with gettext when the CMS's addresses are first built, so every editor read "Home" in the language of the
    first request the process served (an English visitor's, or a test's). The same items, labelled lazily."""

    @property
    def breadcrumbs_items(self):
        items = [{"url": reverse_lazy("wagtailadmin_home"), "label": _("Home")}]
        if getattr(settings, "WAGTAILSNIPPETS_MENU_SHOW_ALL", False) or not self.get_menu_item_is_registered():
            items.append({"url": reverse_lazy("wagtailsnippets:index"), "label": _("Snippets")})
        return items
