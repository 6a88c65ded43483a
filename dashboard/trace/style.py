"""How the dashboard's figures encode beat classes, and the colours of the ECG paper.

Each class has a colour, a marker shape and a line dash, so it reads without colour vision;
the colours keep a contrast of at least 4.5:1 on white and on the paper.
"""
from __future__ import annotations

#: Beat class colours (colour-blind safe, distinct on pink paper).
CLASS_COLOURS = {"N": "#2e7d32", "S": "#1565c0", "V": "#c62828", "F": "#6a1b9a", "Q": "#616161", "": "#616161"}
#: A marker shape and a line dash per class as well as a colour: the class reads without colour vision.
CLASS_SYMBOLS = {"N": "circle", "S": "triangle-up", "V": "diamond", "F": "square", "Q": "x", "": "cross"}
CLASS_DASHES = {"N": "solid", "S": "dash", "V": "dot", "F": "dashdot", "Q": "longdash", "": "longdashdot"}
CLASS_NAMES = {"N": "normal", "S": "supraventricular ectopic", "V": "ventricular ectopic",
               "F": "fusion", "Q": "unclassifiable", "": "unlabelled"}
#: ECG paper: its background, and the lines of its minor and major squares.
PAPER, MINOR_LINE, MAJOR_LINE = "#fff7f7", "#f6cfd3", "#e8959d"
#: Band carrying an event's name along the top of the trace.
EVENT_BAND = "#bf360c"
#: ... and of an event inside a noisy stretch (grey: not to be trusted; white text 6:1).
NOISY_BAND = "#616161"
#: Legend in one row above a plot.
TOP_LEGEND = dict(orientation="h", yanchor="bottom", y=1.0, x=0)
