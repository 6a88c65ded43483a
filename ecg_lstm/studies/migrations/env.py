"""Alembic's environment: run the migrations on the connection the store hands over.

The store opens the database itself (``ecg_lstm.studies.db``) and passes its connection in
``config.attributes["connection"]``: there is no ``alembic.ini`` and no URL here.
"""
from __future__ import annotations

from alembic import context

from ecg_lstm.studies.tables import metadata

connection = context.config.attributes["connection"]
# render_as_batch: SQLite cannot ALTER most things; Alembic's batch mode copies the table instead.
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
