"""Alembic migrations of the study store (run on start-up by :func:`ecg_lstm.studies.db.upgrade`)."""
