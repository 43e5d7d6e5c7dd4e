"""The scheduler (APScheduler 3): one active process per installation, guarded by a database lock."""


def init_app(app):
    """Register the ``flask scheduler`` command (filled in by the scheduler work)."""
