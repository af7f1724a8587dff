"""What the organisation announces to the apps above it. Each is sent once the transaction that made the
change commits, so a listener sees the change and a rolled-back change announces nothing."""
from django.dispatch import Signal

# A roster import was applied: people and posts were added, changed or closed. Sent with roster_import.
# courses assigns this year's plans again (courses/receivers.py).
roster_applied = Signal()
