"""The certification rules, version by version: administrators and assessors read them; those allowed to
change them (system administrators, or anyone given the permission) make a draft, edit it in the CMS and
publish it."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from academy.organisation.permissions import is_administrator

from .. import rules
from ..models import Level, RuleSet


def _may_read(user) -> bool:
    return is_administrator(user) or user.is_assessor


def _may_change(user) -> bool:
    return user.has_perm("certification.change_ruleset")


@login_required
def rules_list(request):
    if not _may_read(request.user):
        raise PermissionDenied
    return render(request, "certification/rules/rules_list.html", {
        "rule_sets": RuleSet.objects.all(),
        "current": RuleSet.objects.current(),
        "may_change": _may_change(request.user),
    })


@login_required
def rules_detail(request, version):
    if not _may_read(request.user):
        raise PermissionDenied
    rule_set = get_object_or_404(RuleSet, version=version)
    levels = []
    for level in Level:
        try:
            levels.append(rules.level_rules(rule_set=rule_set, level=level.value))
        except rule_set.level_rules.model.DoesNotExist:
            continue
    return render(request, "certification/rules/rules_detail.html", {
        "rule_set": rule_set,
        "levels": levels,
        "problems": [] if rule_set.is_published else rules.rule_set_problems(rule_set),
        "may_change": _may_change(request.user),
        "edit_url": reverse("wagtailsnippets_certification_ruleset:edit", args=[rule_set.pk]),
    })


@require_POST
@login_required
def rules_draft(request, version):
    if not _may_change(request.user):
        raise PermissionDenied
    source = get_object_or_404(RuleSet, version=version)
    draft = rules.rule_set_draft_create(source=source)
    messages.success(request, _("Draft version %(version)s made: edit it, then publish it.") % {"version": draft.version})
    return redirect("certification:rules_detail", version=draft.version)


@require_POST
@login_required
def rules_publish(request, version):
    if not _may_change(request.user):
        raise PermissionDenied
    rule_set = get_object_or_404(RuleSet, version=version)
    try:
        rules.rule_set_publish(rule_set=rule_set, user=request.user)
    except (ValueError, rules.RulesLocked) as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Version %(version)s is published: new sessions are judged under it.") % {"version": version})
    return redirect("certification:rules_detail", version=version)
