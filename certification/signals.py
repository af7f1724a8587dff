"""What certification announces when something happens that other work must follow."""
from django.dispatch import Signal

# A session's results were signed off (scoring.session_sign_off): sent with session_id inside the transaction
# that locks them; a listener leaves anything outside the database to on_commit. receivers.py queues the
# candidates' result notices.
session_signed_off = Signal()

# Certificates were issued and their PDFs kept (certificates.py): sent with certificate_ids inside the transaction
# that keeps the PDFs, once per certificate. receivers.py queues the holders' notices.
certificates_issued = Signal()
