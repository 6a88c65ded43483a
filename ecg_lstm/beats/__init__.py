"""Beats and their classes: the AAMI EC57 class list and MIT-BIH mapping (defined once here),
the inter-patient split, EC57 scoring, and reviewed-beat (``.cor``) files.

- :mod:`.aami`: ``CLASSES`` (N, S, V, F, Q), ``AAMI_MAP``, DS1/DS2, reference beats of a record;
- :mod:`.ec57`: beat matching within 150 ms, confusion matrices, Se / +P, calibration error;
- :mod:`.corrections`: a reviewer's labels as a WFDB annotation file beside the record, bound to it
  by :mod:`.record_identity` and read with :mod:`.annotation_bytes` (bounded, strict).
"""
from .aami import AAMI_MAP, CLASSES, DS1, DS2, PACED, aami_labels, reference_beats, reference_table
from .corrections import Corrections, labels_from_bytes, match_labels, read_file, read_labels, write_labels
from .ec57 import confusion, ec57_stats, match_beats
from .record_identity import RecordIdentity, record_identity

__all__ = ["CLASSES", "AAMI_MAP", "DS1", "DS2", "PACED", "aami_labels", "reference_beats", "reference_table",
           "confusion", "ec57_stats", "match_beats", "read_labels", "write_labels", "match_labels",
           "Corrections", "RecordIdentity", "labels_from_bytes", "read_file", "record_identity"]
