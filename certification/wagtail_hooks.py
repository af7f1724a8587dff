"""The certification rules and assessment centres in the CMS admin. A rule set is edited only while it is a
draft: drafts are made from a published version on the rules page (/certification/rules/), edited here, and
published there; a published version is read only, so past results keep the rules they were judged under."""
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from academy.cms import SnippetViewSet

from .models import AssessmentCentre, RuleSet


class DraftOnlyEditView(snippet_views.EditView):
    def get_object(self, queryset=None):
        rule_set = super().get_object(queryset)
        if rule_set.is_published:
            raise PermissionDenied(_("A published rule set is read only: make a new draft from it."))
        return rule_set

    def get_success_url(self):
        return reverse("certification:rules_detail", args=[self.object.version])


class DraftOnlyDeleteView(snippet_views.DeleteView):
    def get_object(self, queryset=None):
        rule_set = super().get_object(queryset)
        if rule_set.is_published:
            raise PermissionDenied
        return rule_set


class NoCreateView(snippet_views.CreateView):
    """Drafts are copies of a version (with every rule filled in), made on the rules page."""

    def dispatch(self, request, *args, **kwargs):
        raise PermissionDenied


class RuleSetViewSet(SnippetViewSet):
    model = RuleSet
    icon = "list-ul"
    menu_label = _("Certification rules")
    list_display = ["version", "notes", "published_at"]
    edit_view_class = DraftOnlyEditView
    delete_view_class = DraftOnlyDeleteView
    add_view_class = NoCreateView


class AssessmentCentreViewSet(SnippetViewSet):
    model = AssessmentCentre
    icon = "site"
    menu_label = _("Assessment centres")
    list_display = ["name", "kind", "organisation_code", "site_serial", "region"]


class CertificationGroup(SnippetViewSetGroup):
    menu_label = _("Certification")
    menu_icon = "tasks"
    items = (RuleSetViewSet, AssessmentCentreViewSet)


register_snippet(CertificationGroup)
