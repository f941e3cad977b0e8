"""Signals (blinker, which Flask ships): a domain announces what happened; others listen, so that imports
still flow one way (the sender knows nothing of who listens)."""
from blinker import Namespace

_signals = Namespace()

# Sent by a bulk import once its rows are written, in the job's transaction, before it commits:
# ``bulk_import_finished.send(session, tenant=tenant, kind="roster", rows=n)``. A listener may add to the
# transaction (queue a job with ``core.jobs.submit``: it runs once the import's job commits).
bulk_import_finished = _signals.signal("bulk-import-finished")
