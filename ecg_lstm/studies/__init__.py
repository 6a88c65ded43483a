"""Studies that outlive the browser tab: a record, its analysis and its review, kept in a database.

- :mod:`.db`: where the database is (SQLite by default, PostgreSQL by URL), the checks before
  it is opened, and its migrations (Alembic, run on start-up);
- :mod:`.tables`: the tables; :mod:`.blobs`: the record's files, kept once by SHA-256;
- :mod:`.store`: :class:`StudyStore`: add, list, open, delete studies;
- :mod:`.actions`: what a reviewer does (corrections, event decisions, report fields, status,
  sign-off), each saved as it is made with its audit entry;
- :mod:`.intake`: a record on disk as the files a study keeps (the command line, a batch);
- :mod:`.export`: a study's files for elsewhere (corrections, events, report, audit trail).
"""
from __future__ import annotations

from .actions import HOLD_S
from .db import DB_ENV, FILES_ENV, StoreError, default_folder, default_url
from .store import StudyStore, manifest, summary_of
from .tables import STATUSES

__all__ = ["DB_ENV", "FILES_ENV", "HOLD_S", "STATUSES", "StoreError", "StudyStore", "default_folder", "default_url",
           "manifest", "summary_of"]
