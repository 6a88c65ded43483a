"""ecg-lstm: ECG records in; beats, vitals, arrhythmias out."""
from .errors import ECGError
from .io.read import read_record
from .io.record import Record
from .signal.filters import ecg_clean

__version__ = "0.1.0"
__all__ = ["ECGError", "Record", "read_record", "ecg_clean", "__version__"]
