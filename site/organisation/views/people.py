"""People in the administrator's scope: find, export, view, edit, and open or close their posts."""
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from academy import spreadsheets
from academy.accounts import phone as mobile_numbers
from academy.accounts.selectors import mobile_change_pending
from academy.audit.models import AuditAction
from academy.audit.services import audit_record

from .. import selectors, services
from ..forms import PersonFilterForm, PersonForm, PostAddForm, PostCloseForm
from ..models import Person, Post, PostKind, ProfessionalCategory, Sex
from ..permissions import administrator_required, can_edit_id_number, can_see_full_id_number, can_see_mobile
from ..scope import PersonChangeRefused, person_check_manageable, scope_for

PEOPLE_PER_PAGE = 50
EXPORT_CHUNK = 2000


def _filter_form(scope, data, *, posted: bool) -> PersonFilterForm:
    return PersonFilterForm(data, region_choices=selectors.region_choices(scope=scope), posted=posted)


@administrator_required
def person_list(request):
    scope = scope_for(request.user)
    today = timezone.localdate()
    if request.method == "POST":
        form = _filter_form(scope, request.POST, posted=True)
        if form.is_valid() and not form.searches_number():
            return redirect(f"{reverse('organisation:person_list')}?{form.query_string()}")
        # An ID number or mobile number search is answered here, on the POST, so the number stays out of
        # the address and the server's log.
    else:
        form = _filter_form(scope, request.GET, posted=False)

    if form.is_valid():
        search = form.search_arguments()
        matching = selectors.people_search(scope=scope, on=today, **search)
        query_string = form.query_string()
    else:
        search, matching, query_string = {"current_only": True, "descending": False}, Person.objects.none(), ""
    page = Paginator(matching, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    # Only the page's people are read in full, with their posts: see selectors.people_with_posts.
    people = selectors.people_with_posts(
        page.object_list, scope=scope, on=today, current_only=search["current_only"], descending=search["descending"]
    )
    sort = form.cleaned_data.get("sort", "") if form.is_valid() else ""
    labels = _ChoiceLabels()
    return render(request, "organisation/person_list.html", {
        "form": form,
        "page_obj": page,
        "rows": [_PersonRow.of(person, labels) for person in people],
        "query_string": query_string,
        "export_query": "" if form.is_valid() and form.searches_number() else query_string,
        "searched_number": form.is_valid() and form.searches_number(),
        "reverse_sort_query": form.query_string(sort="" if sort else "-name") if form.is_valid() else "",
        "sorted_descending": sort == "-name",
        # The filters fold away on phones; they stay open while one is in use or wrong.
        "filters_in_use": sum(1 for name in ("kind", "region", "held") if form.data.get(name) or name in form.errors),
    })


@administrator_required
def person_export(request, file_format):
    if file_format not in ("csv", "xlsx"):
        raise Http404
    scope = scope_for(request.user)
    form = _filter_form(scope, request.GET, posted=False)
    if not form.is_valid():
        return HttpResponseBadRequest(_("The filters of this export are not valid."))
    today, search = timezone.localdate(), form.search_arguments()
    people = selectors.people_with_posts(
        selectors.people_search(scope=scope, on=today, **search), scope=scope, on=today,
        current_only=search["current_only"], descending=search["descending"],
    )
    sheets = [spreadsheets.Sheet(title=_("People"), header=_export_header(), rows=_export_rows(people, request.user))]
    # Who took whose personal data: recorded with the request, which knows the address.
    audit_record(
        action=AuditAction.PERSONAL_DATA_EXPORTED, request=request, region_code=scope.region_code or "",
        detail={"export": "people", "rows": people.count(), "format": file_format},
    )
    filename = f"people-{today:%Y%m%d}.{file_format}"
    if file_format == "csv":
        response = StreamingHttpResponse(spreadsheets.csv_lines(sheets), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            spreadsheets.spreadsheet_bytes("xlsx", sheets),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class _ChoiceLabels:
    """Choice labels translated once per request: get_FOO_display() translates every choice of its
    field on each call, which would cost more than the rest of a row."""

    def __init__(self):
        self.sex = {value: str(label) for value, label in Sex.choices}
        self.post = {value: str(label) for value, label in PostKind.choices}
        self.category = {value: str(label) for value, label in ProfessionalCategory.choices}
        self.account = {None: _("No account"), False: _("Not yet claimed"), True: _("Claimed")}


@dataclass
class _PersonRow:
    """A person as a row of the list or the export."""

    person: Person
    sex: str
    category: str
    posts: list[tuple[str, str, Post]]  # (post name, place, post)
    account: str

    @classmethod
    def of(cls, person: Person, labels: _ChoiceLabels) -> "_PersonRow":
        return cls(
            person=person,
            sex=labels.sex[person.sex],
            category=labels.category[person.professional_category],
            posts=[(labels.post[post.kind], selectors.post_place_label(post), post) for post in person.listed_posts],
            account=labels.account[person.account_claimed],
        )


def _export_header() -> list[str]:
    return [
        _("Name"), _("Sex"), _("Resident ID number"), _("Mobile number"), _("Professional category"),
        _("Posts"), _("Account"),
    ]


def _export_rows(people, user):
    """One row per person. ID numbers in full only for those allowed to see them."""
    labels = _ChoiceLabels()
    for person in people.iterator(chunk_size=EXPORT_CHUNK):
        row = _PersonRow.of(person, labels)
        yield [
            person.name,
            row.sex,
            person.id_number if can_see_full_id_number(user, person) else person.id_number_masked,
            person.mobile,  # administrators see the mobile numbers of everyone in their scope
            row.category,
            "; ".join(f"{name} {place} {_post_dates(post)}" for name, place, post in row.posts),
            row.account,
        ]


def _post_dates(post: Post) -> str:
    return f"{post.start_date:%Y-%m-%d}~{post.end_date:%Y-%m-%d}" if post.end_date else f"{post.start_date:%Y-%m-%d}~"


def _person_in_scope(request, pk) -> Person:
    scope = scope_for(request.user)
    return get_object_or_404(selectors.with_account_status(scope.people(Person.objects.all())), pk=pk)


def _full_id_number_shown(request, person: Person, *, page: str) -> str:
    """The full number, for a page allowed to show it; recorded in the audit trail unless the holder looks.
    The entry's region is that of the person's current (or latest) post."""
    if request.user.person_id != person.pk:
        post = selectors.person_posts(scope=scope_for(request.user), person=person).first()
        audit_record(
            action=AuditAction.ID_NUMBER_VIEWED, request=request, target=person,
            region_code=post.region_id if post else "", detail={"page": page},
        )
    return person.id_number


@administrator_required
def person_detail(request, pk):
    scope = scope_for(request.user)
    person = _person_in_scope(request, pk)
    posts = list(selectors.person_posts(scope=scope, person=person))
    today = timezone.localdate()
    if can_see_full_id_number(request.user, person):
        id_number = _full_id_number_shown(request, person, page="person_detail")
    else:
        id_number = person.id_number_masked
    try:
        person_check_manageable(scope=scope, person=person, on=today)
        managed_elsewhere = ""
    except PersonChangeRefused as refusal:
        managed_elsewhere = str(refusal)
    return render(request, "organisation/person_detail.html", {
        "person": person,
        "managed_elsewhere": managed_elsewhere,
        "id_number": id_number,
        "mobile": person.mobile if can_see_mobile(request.user, person) else mobile_numbers.mask(person.mobile),
        "account_status": _ChoiceLabels().account[person.account_claimed],
        "mobile_change": mobile_change_pending(person=person),
        "posts": [(post, selectors.post_place_label(post), post.is_held_on(today)) for post in posts],
        "close_form": PostCloseForm(post=None, initial={"end_date": today}),
    })


@administrator_required
def person_edit(request, pk):
    person = _person_in_scope(request, pk)
    # Only system administrators correct a resident ID number; everyone else sees it masked.
    form = PersonForm(request.POST or None, instance=person, can_edit_id_number=can_edit_id_number(request.user))
    try:
        # Asked before the form is shown, and again by the service when saving.
        person_check_manageable(scope=scope_for(request.user), person=person)
        if request.method == "GET" and "id_number" in form.fields:  # the form shows the number in full
            _full_id_number_shown(request, person, page="person_edit")
        if request.method == "POST" and form.is_valid():
            services.person_update(
                person=person, actor=request.user, id_number=form.cleaned_data.get("id_number"),
                name=form.cleaned_data["name"], sex=form.cleaned_data["sex"], mobile=form.cleaned_data["mobile"],
                professional_category=form.cleaned_data["professional_category"],
            )
            messages.success(request, _("The details of %(name)s were saved.") % {"name": person.name})
            if person.mobile != form.cleaned_data["mobile"]:
                # A claimed account: the new number waits for its holder (accounts.services.account_for_person).
                messages.info(request, _(
                    "%(name)s signs in with their current number until they confirm the new one with the code "
                    "sent to it; they have been told at their current number and email."
                ) % {"name": person.name})
            return redirect(person)
    except services.AlreadyTaken as refusal:
        form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
    except PersonChangeRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(person)
    return render(request, "organisation/person_form.html", {"person": person, "form": form})


@administrator_required
def post_add(request, pk):
    scope = scope_for(request.user)
    person = _person_in_scope(request, pk)
    form = PostAddForm(request.POST or None, scope=scope)
    try:
        person_check_manageable(scope=scope, person=person)
        if request.method == "POST" and form.is_valid():
            post = services.post_open(person=person, actor=request.user, **form.post_arguments())
            messages.success(request, _("%(name)s now holds the post %(post)s.") % {
                "name": person.name, "post": post.get_kind_display(),
            })
            return redirect(person)
    except services.PostRefused as refusal:
        form.add_error(None, str(refusal))
    except PersonChangeRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(person)
    return render(request, "organisation/post_form.html", {"person": person, "form": form})


@administrator_required
@require_POST
def post_close(request, pk):
    scope = scope_for(request.user)
    post = get_object_or_404(scope.posts(Post.objects.select_related("person")), pk=pk)
    if post.end_date is not None:
        messages.warning(request, _("This post already ended on %(date)s.") % {"date": post.end_date})
        return redirect(post.person)
    form = PostCloseForm(request.POST, post=post)
    if form.is_valid():
        services.post_close(post=post, end_date=form.cleaned_data["end_date"], actor=request.user)
        messages.success(request, _("The post %(post)s of %(name)s ends on %(date)s.") % {
            "post": post.get_kind_display(), "name": post.person.name, "date": post.end_date,
        })
    else:
        messages.error(request, " ".join(form.errors["end_date"]))
    return redirect(post.person)
