"""Institutions the administrator's level of government runs, in their region."""
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import selectors, services
from ..forms import InstitutionFilterForm, InstitutionForm
from ..models import Institution
from ..permissions import administrator_required
from ..scope import scope_for

INSTITUTIONS_PER_PAGE = 50


@administrator_required
def institution_list(request):
    scope = scope_for(request.user)
    form = InstitutionFilterForm(request.GET, region_choices=selectors.region_choices(scope=scope))
    if form.is_valid():
        institutions = selectors.institutions_search(
            scope=scope, on=timezone.localdate(), kind=form.cleaned_data["kind"],
            region_code=form.cleaned_data["region"],
        )
        query_string = form.query_string()
    else:
        institutions, query_string = Institution.objects.none(), ""
    page = Paginator(institutions, INSTITUTIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "organisation/institution_list.html", {
        "form": form,
        "page_obj": page,
        "rows": [(institution, selectors.region_path_label(institution.region)) for institution in page],
        "query_string": query_string,
    })


@administrator_required
def institution_add(request):
    form = InstitutionForm(request.POST or None, scope=scope_for(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            institution = services.institution_save(institution=form.save(commit=False))
        except services.AlreadyTaken as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": institution.name})
            return redirect(institution)
    return render(request, "organisation/institution_form.html", {"form": form, "institution": None})


def _institution_in_scope(request, pk) -> Institution:
    institutions = scope_for(request.user).institutions(Institution.objects.select_related("region__parent"))
    return get_object_or_404(institutions, pk=pk)


@administrator_required
def institution_detail(request, pk):
    institution = _institution_in_scope(request, pk)
    staff = selectors.institution_staff(
        scope=scope_for(request.user), institution=institution, on=timezone.localdate()
    )
    return render(request, "organisation/institution_detail.html", {
        "institution": institution,
        "region_label": selectors.region_path_label(institution.region),
        "staff": staff,
    })


@administrator_required
def institution_edit(request, pk):
    institution = _institution_in_scope(request, pk)
    form = InstitutionForm(request.POST or None, instance=institution, scope=scope_for(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.institution_save(institution=form.save(commit=False))
        except services.AlreadyTaken as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": institution.name})
            return redirect(institution)
    return render(request, "organisation/institution_form.html", {"form": form, "institution": institution})
