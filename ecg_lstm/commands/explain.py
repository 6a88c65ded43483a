"""``python -m ecg_lstm explain RECORD --beat N --out DIR``: one beat's explanation as JSON and PNG.

Beat ``N`` is row ``N`` (from 0) of the beats ``analyze`` writes for the same
record and options, so a beat found in ``<record>.csv`` is explained by its row.
"""
from __future__ import annotations

import json
import sys
import time

from ..errors import ECGError
from .options import check_out_dir, failure_message, parse_lead, record_options, terminal_safe


def add_parser(sub) -> None:
    e = sub.add_parser("explain", help="why the beat classifier gave one beat its label: writes JSON + PNG",
                       parents=[record_options()])
    e.add_argument("record", metavar="RECORD", help="WFDB record path without extension, or a file: .edf, "
                   ".csv, .ecg (ISHNE), .dcm (DICOM), .xml (HL7 aECG, Philips)")
    e.add_argument("--beat", type=int, required=True, metavar="N",
                   help="beat number: row N (from 0) of the beats analyze writes for this record")
    e.add_argument("--out", required=True, metavar="DIR", help="folder for <record>_beat<N>.json and .png")
    e.add_argument("--target", choices=list("NSVFQ"),
                   help="explain this class's logit instead of the label's (e.g. why not N)")
    e.add_argument("--no-png", action="store_true", help="write the JSON only")


def run(args) -> int:
    """Exit status 0 when written, 1 when the record or the beat is unusable (the reason on stderr),
    2 for bad arguments or a model that cannot load. The shared options (--annotator, --fs, --lead,
    --max-hours, --max-signal-mb) are checked by ``options.check_arguments`` before this runs."""
    from ..analyze import analyze_record
    from ..errors import BadArgumentError
    from ..explain.core import Explainer
    from ..explain.plots import save_png
    from ..io.read import read_record

    t0 = time.perf_counter()
    try:
        out = check_out_dir(args.out, "--out")
        if args.beat < 0:
            raise BadArgumentError(f"--beat {args.beat} is negative; beats are numbered from 0")
        explainer = Explainer.load(args.model)
    except ECGError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    lead = parse_lead(args.lead)
    try:
        rec = read_record(args.record, lead=lead, annotator=args.annotator, fs=args.fs, max_hours=args.max_hours,
                          max_signal_mb=args.max_signal_mb)
        analysis = analyze_record(rec, lead=lead, reference_beats=args.reference_beats,
                                  classifier=explainer.clf, rhythm=None)
        prep = explainer.prepare_analysis(analysis)
        ex = explainer.explain(prep, args.beat, target=args.target)
        out.mkdir(parents=True, exist_ok=True)
        stem = f"{rec.name}_beat{args.beat}"
        doc = {"record": rec.name, "lead": rec.lead_names[analysis.lead_index], "fs_hz": rec.fs,
               "beat_source": analysis.beat_source, "n_beats": int(len(analysis.beats)),
               "time_s": round(float(analysis.beats["time_s"].iloc[args.beat]), 4),
               "model": explainer.clf.name, "explanation": ex.to_json_dict()}
        json_path = out / f"{stem}.json"
        json_path.write_text(json.dumps(doc, indent=1))
        written = [json_path]
        if not args.no_png:
            written.append(save_png(doc["explanation"], out / f"{stem}.png"))
    except Exception as e:  # noqa: BLE001  (one line with the reason, never a traceback)
        print(f"error: {terminal_safe(args.record)}: {failure_message(e)}", file=sys.stderr)
        return 1
    print(ex.summary)
    print(f"wrote {', '.join(terminal_safe(str(p)) for p in written)} ({time.perf_counter() - t0:.2f} s)")
    return 0
