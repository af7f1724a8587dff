"""What the organisation announces to the apps above it."""
from django.dispatch import Signal

# A roster import was applied: people and posts were added, changed or closed. Sent with roster_import, inside
# the transaction that applies it, so that what a listener records (a job: an outbox row) commits with the
# roster or rolls back with it; anything outside the database a listener leaves to on_commit (job_announce).
# courses records this year's plans' assignment jobs (courses/receivers.py).
roster_applied = Signal()

# People were renamed (organisation.services.person_update, a roster import): sent with person_ids inside the
# transaction that renames them. courses copies the names onto their plan assignments (courses/receivers.py).
people_renamed = Signal()
