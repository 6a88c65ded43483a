"""What labelled beats mean clinically: vitals and heart-rate variability, arrhythmia events,
atrial flutter inside AF episodes, the rhythm in words.

- :mod:`.vitals`: ``ecg_vitals`` (heart rate, RR, HRV, beat counts, burden);
- :mod:`.hrv`: Task Force HRV on NN intervals, and whether HRV applies to a record at all;
- :mod:`.events`: ectopic runs, patterns, rate and conduction events, with review helpers, the
  alarms a monitor sounds and the events grouped into episodes;
- :mod:`.atrial_flutter`: the flutter parts of the rhythm model's AF episodes;
- :mod:`.rhythm_statement`: the rhythm statements the page and the report print.
"""
from .atrial_flutter import split_atrial_flutter
from .events import EventRules, detect_events
from .hrv import hrv_applicability
from .vitals import ecg_vitals

__all__ = ["ecg_vitals", "hrv_applicability", "detect_events", "EventRules", "split_atrial_flutter"]
