"""Errors raised by ecg-lstm.

Every error a user can trigger with their own input is an :class:`ECGError`.
Messages say what is wrong and what to do about it, so the CLI and the
dashboard can show them as they are, without a traceback.
"""


class ECGError(Exception):
    """Base class of every error ecg-lstm raises on purpose."""


class RecordError(ECGError, ValueError):
    """A record cannot be read or is not usable as an ECG."""


class MissingFileError(RecordError, FileNotFoundError):
    """A record file, or one of its companion files (.hea/.dat/.atr), is missing."""


class UnsupportedFormatError(RecordError):
    """The file is of a format ecg-lstm does not read (or its extension is wrong)."""


class MalformedRecordError(RecordError):
    """The file claims to be a supported format but its content is not valid."""


class TruncatedRecordError(MalformedRecordError):
    """The signal file holds fewer samples than its header announces."""


class HeaderMismatchError(MalformedRecordError):
    """The header disagrees with the data (sizes, channel counts, checksums)."""


class SignalQualityError(RecordError):
    """The signal is empty, all-NaN, flat, or otherwise carries no ECG."""


class SamplingRateError(RecordError):
    """The sampling rate is missing or outside the supported range."""


class RecordTooLongError(RecordError):
    """The record is longer than the configured limit."""


class RecordTooLargeError(RecordTooLongError):
    """The decoded signal would need more memory than the configured limit (checked from the header)."""


class AmplitudeError(SignalQualityError):
    """The values are not a plausible ECG in the stated unit (wrong unit, absurd gain or baseline)."""


class CorrectionsError(RecordError):
    """A reviewer's corrections file (``.cor``) cannot be used: unreadable, cut short, larger than the
    record could need, or not a regular file. The record itself is fine: open it without the file."""


class ForeignCorrectionsError(CorrectionsError):
    """A corrections file belongs to another record (its record identity, or its beats, say so)."""


class BadArgumentError(ECGError, ValueError):
    """A command-line option is invalid (the CLI exits with status 2 before any output)."""


class ModelError(ECGError):
    """A model weights file is missing, corrupt, or does not match the model."""


class DownloadError(ECGError):
    """A database could not be downloaded or failed verification."""


class MissingDependencyError(ECGError, ImportError):
    """An optional package a feature needs is not installed (the message names the make target)."""
