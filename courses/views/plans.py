"""Training plans: administrators create, edit and run the plans of the tier their region organises, and
see the plans organised in their scope. Every page finds the plan through plans.plans_in_scope (to look)
or plans.plans_managed_by (to change), so anyone else's plan is a 404."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from academy.jobs import job_status_response
from academy.organisation import selectors as organisation_selectors
from academy.organisation.permissions import administrator_required
from academy.organisation.scope import Scope, scope_for

from .. import plans
from ..forms import PlanForm
from ..models import PlanAssignmentJob, TrainingPlan
from ..years import training_year

HISTORY_PER_PAGE = 50


def _plan_in_scope(request, pk) -> TrainingPlan:
    in_scope = plans.plans_in_scope(scope=scope_for(request.user)).select_related("organiser_region")
    return get_object_or_404(in_scope, pk=pk)


def _plan_managed(request, pk) -> TrainingPlan:
    managed = plans.plans_managed_by(request.user) & plans.plans_in_scope(scope=scope_for(request.user))
    return get_object_or_404(managed.select_related("organiser_region"), pk=pk)


def _add_errors(form, error: ValidationError) -> None:
    """The rules' errors by field; those of a field the form does not show go on top of the form."""
    for name, messages_of_field in error.message_dict.items():
        form.add_error(name if name in form.fields else None, messages_of_field)


@administrator_required
def plan_list(request):
    """This year's and coming plans, then earlier years as history."""
    year = training_year()
    in_scope = plans.plan_list(scope=scope_for(request.user))
    history = Paginator(in_scope.filter(year__lt=year), HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "courses/plan_list.html", {
        "year": year,
        "current_plans": list(in_scope.filter(year__gte=year)),
        "page_obj": history,
        "can_create": bool(plans.plannable_tiers(request.user)),
    })


@administrator_required
def plan_create(request):
    tiers = plans.plannable_tiers(request.user)
    if not tiers:
        raise PermissionDenied  # a township administrator, say: no tier is organised at that level
    organiser_choices = (
        organisation_selectors.region_choices(scope=Scope.everything()) if request.user.is_superuser else None
    )
    year = training_year()
    form = PlanForm(
        request.POST or None, tiers=tiers, organiser_choices=organiser_choices,
        initial={"year": year, "post_kind": tiers[0], "organiser_region": request.user.admin_region_id,
                 **plans.plan_defaults(year)},
    )
    if request.method == "POST" and form.is_valid():
        organiser_region = form.cleaned_data["organiser_region"] if organiser_choices else request.user.admin_region
        try:
            plan = plans.plan_create(
                organiser_region=organiser_region, created_by=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The plan is saved. Everyone it requires is being assigned."))
            return redirect("courses:plan_detail", pk=plan.pk)
    return render(request, "courses/plan_form.html", {"form": form, "plan": None})


@administrator_required
def plan_edit(request, pk):
    plan = _plan_managed(request, pk)
    form = PlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        try:
            plans.plan_update(plan=plan, **form.service_arguments())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The plan is saved. Assignments and statuses follow the new rule."))
            return redirect("courses:plan_detail", pk=plan.pk)
    # The unsaved form may have changed the instance: the page heading keeps the stored title.
    stored = TrainingPlan.objects.get(pk=plan.pk)
    return render(request, "courses/plan_form.html", {"form": form, "plan": stored})


@administrator_required
def plan_detail(request, pk):
    plan = _plan_in_scope(request, pk)
    return render(request, "courses/plan_detail.html", {
        "plan": plan,
        "counts": plans.plan_counts(plan),
        "rule_text": plans.plan_rule_text(plan),
        "requirement_lines": plans.plan_requirement_lines(plan),
        "window_text": plans.plan_window_text(plan),
        "can_manage": plans.plans_managed_by(request.user).filter(pk=plan.pk).exists(),
        "assignment_job": plans.plan_assignment_latest(plan),
    })


@administrator_required
@require_POST
def plan_assign(request, pk):
    """Run the assignment job now rather than tonight, e.g. after correcting posts."""
    plan = _plan_managed(request, pk)
    plans.plan_assignment_start(plan=plan, requested_by=request.user)
    messages.success(request, _("The assignment is running; the counts are updated when it finishes."))
    return redirect("courses:plan_detail", pk=plan.pk)


def _assignment_job(request, pk, *, managed: bool) -> PlanAssignmentJob:
    in_scope = plans.plans_in_scope(scope=scope_for(request.user))
    if managed:
        in_scope = in_scope & plans.plans_managed_by(request.user)
    return get_object_or_404(PlanAssignmentJob.objects.filter(plan__in=in_scope), pk=pk)


@administrator_required
def plan_assignment_status(request, pk):
    """Polled by job_progress.js while the plan's assignment runs."""
    return job_status_response(_assignment_job(request, pk, managed=False))


@administrator_required
@require_POST
def plan_assignment_retry(request, pk):
    job = _assignment_job(request, pk, managed=True)
    if not plans.plan_assignment_retry(job=job):
        messages.info(request, _("Only a failed assignment can be retried."))
    return redirect("courses:plan_detail", pk=job.plan_id)
