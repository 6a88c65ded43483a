"""Review of a record's beat labels: the library side of the dashboard's Review tab.

A Holter analyst reviews *templates* (families of beats of one shape and timing), not single
beats: relabel a template and all its beats follow; relabel a single beat; undo; then "Adapt",
which relabels the rest of the record from the corrections (``RecordAdapter.with_labels``).

- :mod:`.state`: one record's review as a plain dict (corrections, undo history, adapted or not);
- :mod:`.labels`: the labels with the corrections applied, and the analysis with them
  (``analyze.relabel``: vitals, rhythm and events follow, as on the command line);
- :mod:`.files`: corrections as ``.cor`` bytes (``ecg_lstm.beats.corrections``), read back with
  the record and checked against it (a file of another record, cut short or too large is refused);
- :mod:`.edits`: deleted beats, spans marked as artefact and added beats (snapped to the R peak);
- :mod:`.templates`: the template table as the reviewer sees it.

Pure Python, numpy and pandas: no page, no session; the caller keeps the review dicts.
"""
from __future__ import annotations

from .edits import aligned_beats, edit_counts, snap_to_r
from .files import (
                    Loaded,
                    corrections_bytes,
                    load_corrections,
                    local_corrections,
                    read_corrections,
                    save_beside,
                    split_corrections,
)
from .labels import record_adapter, relabelled_analysis, reviewed_labels
from .state import (
                    ARTEFACT,
                    DELETED,
                    LABELS,
                    MAX_UNDO,
                    adapt,
                    add_beat,
                    clear,
                    correct,
                    delete,
                    mark_artefact,
                    new_review,
                    signature,
                    touch,
                    undo,
)
from .templates import order_templates, template_view

__all__ = [
    "ARTEFACT", "DELETED", "LABELS", "MAX_UNDO", "Loaded", "adapt", "add_beat", "aligned_beats", "clear",
    "delete", "edit_counts", "mark_artefact", "snap_to_r", "correct", "corrections_bytes", "load_corrections",
    "local_corrections", "new_review", "order_templates", "read_corrections", "record_adapter",
    "relabelled_analysis", "reviewed_labels", "save_beside", "signature", "split_corrections", "template_view",
    "touch", "undo",
]
