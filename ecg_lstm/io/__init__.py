"""Reading ECG records into one :class:`Record`: WFDB, EDF/EDF+, CSV, ISHNE Holter (.ecg), DICOM
waveform (.dcm), HL7 aECG and Philips Sierra XML (.xml) files, and uploads of any of them.

    from ecg_lstm.io import read_record
    rec = read_record("data/mitdb/100")       # WFDB (path without extension), or a file as above
    rec.signal, rec.fs, rec.lead_names        # (n_samples, n_leads) in mV, Hz, names

Layout: :mod:`.record` (the types, a leaf), :mod:`.limits` (sampling rate, size and
amplitude limits, defined once), one module per format, :mod:`.read` (the one entry
point that validates), :mod:`.upload` (uploaded bytes and zips), :mod:`.tempfiles`,
:mod:`.xml_guard` (what every XML file passes first) and the writers used for exports:
:mod:`.ishne_format`, :mod:`.edf_export`, :mod:`.digitise` (mV back to 16-bit steps).
This package imports nothing from the later stages.
"""
from .limits import DEFAULT_MAX_HOURS, MAX_FS, MIN_FS
from .read import read_record
from .record import Annotations, Record, select_lead
from .upload import read_record_from_files

__all__ = ["Annotations", "Record", "read_record", "read_record_from_files", "select_lead",
           "MIN_FS", "MAX_FS", "DEFAULT_MAX_HOURS"]
