"""What the courses services announce. Each is sent once the transaction that made the change commits."""
from django.dispatch import Signal

# A training plan was created or changed: its assignment job runs (courses/receivers.py). Sent with plan_id.
plan_saved = Signal()
