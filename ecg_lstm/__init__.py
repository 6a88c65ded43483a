"""ecg-lstm: ECG records in; beats, vitals, arrhythmias out."""
from .errors import ECGError
from .filters import ecg_clean
from .record import Record, read_record

__version__ = "0.1.0"
__all__ = ["ECGError", "Record", "read_record", "ecg_clean", "__version__"]
