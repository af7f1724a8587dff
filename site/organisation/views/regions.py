"""The division tree as far as the administrator's scope reaches, with post holders counted per region."""
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import selectors, services
from ..forms import RegionNameForm, VillageForm
from ..models import Institution, Region, RegionLevel
from ..permissions import administrator_required
from ..scope import scope_for

# Cities, counties and above come from the national division list; administrators name and add only
# the townships and villages, which change more often than the list is republished.
EDITABLE_LEVELS = (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)


@administrator_required
def region_list(request):
    scope = scope_for(request.user)
    if scope.region_code == "":
        roots = list(Region.objects.filter(parent__isnull=True).order_by("code"))
    else:
        roots = list(Region.objects.filter(code=scope.region_code))
    if len(roots) == 1:
        return redirect(roots[0])
    return render(request, "organisation/region_list.html", {"roots": roots})


def _region_in_scope(request, code) -> Region:
    return get_object_or_404(scope_for(request.user).regions(Region.objects.all()), code=code)


@administrator_required
def region_detail(request, code):
    scope = scope_for(request.user)
    region = _region_in_scope(request, code)
    today = timezone.localdate()
    children = selectors.region_children_counts(scope=scope, region=region, on=today)
    return render(request, "organisation/region_detail.html", {
        "region": region,
        "breadcrumbs": selectors.region_breadcrumbs(scope=scope, region=region),
        "children": children,
        "total_supervisors": sum(child.supervisors for child in children),
        "total_directors": sum(child.directors for child in children),
        "post_holders": selectors.region_post_holders(scope=scope, region=region, on=today),
        "institutions": scope.institutions(Institution.objects.filter(region=region)).order_by("name"),
        "can_edit": region.level in EDITABLE_LEVELS,
        "can_add_village": region.level == RegionLevel.TOWNSHIP,
        "people_filter": region.level in selectors.FILTER_LEVELS,
    })


@administrator_required
def region_edit(request, code):
    region = _region_in_scope(request, code)
    if region.level not in EDITABLE_LEVELS:
        raise Http404
    form = RegionNameForm(request.POST or None, instance=region)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The name was saved."))
        return redirect(region)
    return render(request, "organisation/region_form.html", {"region": region, "form": form})


@administrator_required
def village_add(request, code):
    township = _region_in_scope(request, code)
    if township.level != RegionLevel.TOWNSHIP:
        raise Http404
    form = VillageForm(request.POST or None, township=township)
    if request.method == "POST" and form.is_valid():
        try:
            village = services.village_create(
                township=township, code=form.village_code(), name=form.cleaned_data["name"]
            )
        except services.AlreadyTaken as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": village.name})
            return redirect(township)
    return render(request, "organisation/village_form.html", {"township": township, "form": form})
