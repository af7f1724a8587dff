import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from academy.accounts import messages
from academy.accounts.models import Notification, SentReminder, TextMessageRecord
from academy.accounts.notifications import SITE, notify, notify_once
from tests.factories import UserFactory

CENTRE = reverse("accounts:notifications")


@pytest.fixture
def reachable(db):
    """A user with both an email address and a mobile number."""
    return UserFactory(email="chen@example.org", phone="13955556666")


def test_notify_puts_the_message_in_the_centre_and_sends_email_and_sms(
    reachable, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(
            user=reachable, title="Training due soon", body="In 3 days.", url="/learn/",
            sms=messages.TRAINING_DUE.bind(plan="2026年儿童主任年度培训", deadline="2026年11月30日", days=3),
        )
    assert Notification.objects.get(user=reachable) == notification
    assert [(message.to, message.subject) for message in mail.outbox] == [(["chen@example.org"], "Training due soon")]
    assert "In 3 days." in mail.outbox[0].body
    assert "http://" in mail.outbox[0].body and "/learn/" in mail.outbox[0].body  # a link that works from a mailbox
    assert sms_outbox == [("13955556666", "“2026年儿童主任年度培训” is due on 2026年11月30日 (days left: 3) and your training is not complete.")]
    record = TextMessageRecord.objects.get()
    assert (record.user, record.message, record.phone, record.status) == (reachable, "training_due", "139****6666", "sent")


def test_notify_uses_only_the_contact_details_the_account_has(db, sms_outbox, django_capture_on_commit_callbacks):
    no_email = UserFactory(email=None, phone="13900000001")
    no_phone = UserFactory(email="li@example.org", phone=None)
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=no_email, title="A", body="a", sms=messages.MOBILE_CHANGED.bind(phone="139****0001"))
        notify(user=no_phone, title="B", body="b", sms=messages.MOBILE_CHANGED.bind(phone="139****0002"))
    assert [message.to for message in mail.outbox] == [["li@example.org"]]
    assert [phone for phone, _text in sms_outbox] == ["13900000001"]
    assert Notification.objects.count() == 2


def test_a_notification_without_a_catalogue_message_sends_no_sms(reachable, sms_outbox, django_capture_on_commit_callbacks):
    # Gateways send approved templates only: free text never goes out by SMS.
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=reachable, title="A", body="a")
    assert len(mail.outbox) == 1 and sms_outbox == []


def test_notify_on_the_site_channel_only_sends_no_email_or_sms(reachable, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=reachable, title="A", body="a", channels=frozenset({SITE}))
    assert Notification.objects.count() == 1
    assert mail.outbox == [] and sms_outbox == []


def test_nothing_leaves_when_the_transaction_rolls_back(reachable, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        notify(user=reachable, title="A", body="a")
        raise RuntimeError("the job crashed")
    assert Notification.objects.count() == 0
    assert mail.outbox == [] and sms_outbox == []


def test_notify_once_sends_a_reminder_once(reachable, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sms = messages.TRAINING_DUE_TODAY.bind(plan="2026年儿童主任年度培训")
        first = notify_once(user=reachable, kind="due_14", subject="plan:1", title="A", body="a", sms=sms)
        second = notify_once(user=reachable, kind="due_14", subject="plan:1", title="A", body="a", sms=sms)
        other_subject = notify_once(user=reachable, kind="due_14", subject="plan:2", title="B", body="b", sms=sms)
    assert (first, second, other_subject) == (True, False, True)
    assert Notification.objects.count() == 2 and len(mail.outbox) == 2 and len(sms_outbox) == 2
    assert SentReminder.objects.filter(user=reachable).count() == 2


# The notification centre


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(CENTRE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_the_centre_lists_my_notifications_and_not_others(client, reachable):
    Notification.objects.create(user=reachable, title="Training due soon: 儿童主任履职", body="In 14 days.")
    Notification.objects.create(user=UserFactory(), title="Someone else's digest", body="")
    client.force_login(reachable)
    page = client.get(CENTRE).content.decode()
    assert "Training due soon: 儿童主任履职" in page
    assert "In 14 days." in page
    assert "Someone else&#x27;s digest" not in page and "Someone else's digest" not in page


def test_an_empty_centre_says_so(client, reachable):
    client.force_login(reachable)
    assert "You have no notifications" in client.get(CENTRE).content.decode()


def test_the_header_shows_the_unread_count_on_every_page(client, reachable):
    for number in range(3):
        Notification.objects.create(user=reachable, title=f"Reminder {number}")
    Notification.objects.filter(title="Reminder 0").update(read_at="2025-01-01T00:00:00Z")
    client.force_login(reachable)
    page = client.get(reverse("accounts:home")).content.decode()
    assert '<span class="notification-count">2</span>' in page
    assert "Notifications: 2 unread" in page


def test_the_header_shows_no_count_when_everything_is_read(client, reachable):
    client.force_login(reachable)
    page = client.get(reverse("accounts:home")).content.decode()
    assert CENTRE in page
    assert "notification-count" not in page


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, reachable):
    notification = Notification.objects.create(user=reachable, title="Training due soon", url="/learn/")
    client.force_login(reachable)
    response = client.post(reverse("accounts:notification_read", args=[notification.pk]))
    assert response.status_code == 302 and response.url == "/learn/"
    notification.refresh_from_db()
    assert notification.is_read
    assert "notification-count" not in client.get(CENTRE).content.decode()


def test_a_notification_without_a_link_returns_to_the_centre(client, reachable):
    notification = Notification.objects.create(user=reachable, title="Weekly digest")
    client.force_login(reachable)
    response = client.post(reverse("accounts:notification_read", args=[notification.pk]))
    assert response.url == CENTRE


def test_marking_read_needs_a_post(client, reachable):
    notification = Notification.objects.create(user=reachable, title="Weekly digest")
    client.force_login(reachable)
    assert client.get(reverse("accounts:notification_read", args=[notification.pk])).status_code == 405
    notification.refresh_from_db()
    assert not notification.is_read


def test_another_users_notification_is_not_found(client, reachable):
    theirs = Notification.objects.create(user=UserFactory(), title="Not yours")
    client.force_login(reachable)
    assert client.post(reverse("accounts:notification_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_mark_all_read_touches_only_my_notifications(client, reachable):
    Notification.objects.create(user=reachable, title="A")
    Notification.objects.create(user=reachable, title="B")
    theirs = Notification.objects.create(user=UserFactory(), title="C")
    client.force_login(reachable)
    response = client.post(reverse("accounts:notifications_read_all"), follow=True)
    assert "All your notifications are marked read." in response.content.decode()
    assert not Notification.objects.filter(user=reachable, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_a_link_to_another_site_is_not_followed(client, reachable):
    notification = Notification.objects.create(user=reachable, title="Odd", url="https://example.com/")
    client.force_login(reachable)
    assert client.post(reverse("accounts:notification_read", args=[notification.pk])).url == CENTRE
