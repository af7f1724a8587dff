"""Two writers at the same moment, made in the tests (PostgreSQL: two connections at once).

``race(first, second)`` runs ``first`` in a transaction that stays open while ``second`` runs on another
connection, and commits it a moment later. ``second`` therefore checks the database before the first row is
visible and meets it only when it writes: the database's one-of rule refuses it, the path a lucky timing hides.
Each side's outcome is its return value, or the exception it raised."""
import threading
import time

from django.db import connection, transaction

# Long enough for the second writer to get from its checks to its write on a loaded test machine.
HOLD_SECONDS = 1.5


def race(first, second, *, hold_seconds: float = HOLD_SECONDS):
    outcomes = {}
    first_wrote = threading.Event()

    def run_first():
        try:
            with transaction.atomic():
                outcomes["first"] = first()
                first_wrote.set()
                time.sleep(hold_seconds)
        except Exception as error:  # the outcome the test asserts
            outcomes["first"] = error
        finally:
            first_wrote.set()
            connection.close()

    def run_second():
        first_wrote.wait()
        try:
            outcomes["second"] = second()
        except Exception as error:  # the outcome the test asserts
            outcomes["second"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes["first"], outcomes["second"]
