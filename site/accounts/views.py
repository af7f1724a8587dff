from allauth.account.forms import SetPasswordForm
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from . import notifications, services
from .adapters import signed_in_by_code_recently
from .forms import MobileChangeCodeForm, WeChatBindForm
from .models import MobileChange, Notification
from .wechat.binding import wechat_pending, wechat_unbind


@login_required
@sensitive_post_parameters("password1", "password2")
def new_password(request):
    """Choose a new password without the old one, just after signing in with a one-time code: the way
    back in for someone who forgot their password and has no email address for a reset link. The
    adapter sends code sign-ins here; the page can be skipped."""
    if not request.user.has_usable_password():
        return redirect("account_set_password")
    if not signed_in_by_code_recently(request):
        messages.info(
            request, _("To choose a new password without your current one, sign in with a one-time code first.")
        )
        return redirect("account_change_password")
    form = SetPasswordForm(data=request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your new password is set."))
        return redirect("accounts:home")
    return render(request, "accounts/new_password.html", {"form": form})


@login_required
def mobile_change(request):
    """A new mobile number an administrator entered for the signed-in user: confirm it with the code
    sent to it, or decline it. Confirming ends the user's other sessions; this one goes on."""
    pending = MobileChange.objects.filter(user=request.user).select_related("requested_by").first()
    if pending is None:
        messages.info(request, _("No new mobile number is waiting for your confirmation."))
        return redirect("accounts:home")
    form = MobileChangeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.mobile_change_confirm(user=request.user, code=form.cleaned_data["code"])
        except services.MobileChangeRefused as refusal:
            form.add_error("code", str(refusal))
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("You now sign in with %(phone)s.") % {"phone": user.phone})
            return redirect("accounts:home")
    return render(request, "accounts/mobile_change.html", {"pending": pending, "form": form})


@login_required
@require_POST
def mobile_change_code(request):
    try:
        pending = services.mobile_change_send_code(user=request.user)
    except services.MobileChangeRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("A new code is on its way to %(phone)s.") % {"phone": pending.phone_masked})
    return redirect("accounts:mobile_change")


@login_required
@require_POST
def mobile_change_decline(request):
    try:
        services.mobile_change_decline(user=request.user)
    except services.MobileChangeRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("The new number was declined. You still sign in with your current number."))
    return redirect("accounts:home")


NOTIFICATIONS_PER_PAGE = 20


@login_required
def notification_list(request):
    """The notification centre: the user's reminders and digests, newest first, unread ones marked."""
    page = Paginator(request.user.notifications.all(), NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "accounts/notification_list.html", {"page_obj": page})


@login_required
@require_POST
def notification_read(request, pk):
    """Mark one of the user's own notifications read, then follow its link if it has one."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notifications.notification_mark_read(notification=notification)
    if notification.url and url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()}):
        return redirect(notification.url)
    return redirect("accounts:notifications")


@login_required
@require_POST
def notifications_read_all(request):
    notifications.notifications_mark_all_read(user=request.user)
    messages.success(request, _("All your notifications are marked read."))
    return redirect("accounts:notifications")


def wechat_bind(request):
    """After WeChat vouched for an identity no account knows: the person gives the mobile number of their roster
    account and signs in with the code sent to it (allauth's code sign-in), which binds the identity."""
    if wechat_pending(request) is None:
        messages.info(request, _("Sign in with WeChat first."))
        return redirect("account_login")
    return render(request, "accounts/wechat_bind.html", {"form": WeChatBindForm()})


@login_required
@require_POST
def wechat_unbind_view(request):
    if wechat_unbind(user=request.user, request=request):
        messages.success(request, _("WeChat is unbound: it no longer signs you in or receives your reminders."))
    return redirect("accounts:home")
