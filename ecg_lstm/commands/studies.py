"""``python -m ecg_lstm studies ...``: the study store from the command line.

    python -m ecg_lstm studies add data/mitdb/100 data/mitdb/119 --label "Ward 3"
    python -m ecg_lstm studies list --status "in review"
    python -m ecg_lstm studies export 3 --out exported/
    python -m ecg_lstm studies audit 3 --json
    python -m ecg_lstm studies delete 3 --yes

The store is the page's: ``--db`` (default ``$ECG_STUDY_DB``, else ``studies.sqlite`` in the
store's folder) and ``--files`` (the folder of its files, default ``$ECG_STUDY_FILES``, else
``data/studies``). Exit status: 0 done, 1 some record or study failed (each on stderr, the
others done), 2 bad arguments or a store that cannot be opened.
"""
from __future__ import annotations

import argparse
import getpass
import json
import math
import sys

from ..errors import ECGError
from .options import check_out_dir, failure_message, parse_lead, record_options, terminal_safe


def _store_options(top: bool) -> argparse.ArgumentParser:
    """--db and --files, before or after the action (``studies --db X list`` or ``studies list --db X``)."""
    p = argparse.ArgumentParser(add_help=False)
    default = None if top else argparse.SUPPRESS
    p.add_argument("--db", metavar="URL", default=default,
                   help="the store's database: sqlite:///path/studies.sqlite or postgresql+psycopg://user@host/db "
                        "(default: $ECG_STUDY_DB, else studies.sqlite in the --files folder)")
    p.add_argument("--files", metavar="DIR", default=default,
                   help="folder of the store's files (default: $ECG_STUDY_FILES, else data/studies)")
    return p


def add_parser(sub) -> None:
    """Add ``studies`` to the subparsers ``sub`` of the main parser (the store's modules are imported
    only when ``studies`` runs: the other commands do not pay for SQLAlchemy)."""
    s = sub.add_parser("studies", help="add, list, export, audit and delete the studies of the study store",
                       description="The study store the dashboard keeps its studies in.",
                       parents=[_store_options(True)])
    act = s.add_subparsers(dest="action", required=True, metavar="ACTION")
    store = _store_options(False)
    a = act.add_parser("add", help="analyse records and add them as studies (one already there is not added again)",
                       parents=[record_options(), store])
    a.add_argument("records", nargs="+", metavar="RECORD",
                   help="WFDB record path without extension, or a file: .edf, .csv, .ecg (ISHNE), "
                        ".dcm (DICOM), .xml (HL7 aECG, Philips)")
    a.add_argument("--label", help="the studies' label in the worklist (default: the record's name)")
    a.add_argument("--who", help="who adds them, for the audit trail (default: your user name)")
    a.add_argument("--rhythm-model", help="rhythm classifier weights (default: the shipped model)")
    ls = act.add_parser("list", help="the worklist: one line per study, newest change first", parents=[store])
    ls.add_argument("--status", help="only studies of this status: new, in review, reviewed or signed")
    ls.add_argument("--text", help="only studies whose label, record name or reviewer holds this text")
    ls.add_argument("--json", action="store_true", help="a JSON list of objects instead of a table")
    ex = act.add_parser("export", help="write a study's corrections, events, report, audit trail and signed "
                                       "reports into a folder", parents=[store])
    ex.add_argument("id", type=int, metavar="ID")
    ex.add_argument("--out", required=True, metavar="DIR", help="folder for the files (created)")
    au = act.add_parser("audit", help="a study's audit trail, oldest first", parents=[store])
    au.add_argument("id", type=int, metavar="ID")
    au.add_argument("--json", action="store_true", help="a JSON list of objects instead of a table")
    de = act.add_parser("delete", help="delete a study with its review and audit trail", parents=[store])
    de.add_argument("id", type=int, metavar="ID")
    de.add_argument("--yes", action="store_true", help="delete it (without --yes nothing is deleted)")


def open_store(db: str | None, files: str | None):
    """The store at ``db``/``files``; :class:`~ecg_lstm.studies.StoreError` says why it cannot be opened."""
    from ..studies import StudyStore

    return StudyStore(db or None, files or None)


def user_name() -> str:
    """The OS user name, for the audit trail ("unnamed" where there is none)."""
    try:
        return getpass.getuser() or "unnamed"
    except Exception:  # noqa: BLE001 (no user name in a bare container)
        return "unnamed"


def run(args) -> int:
    if args.action == "delete" and not args.yes:
        print(f"error: deleting study {args.id} removes its review and audit trail for good; add --yes to delete it",
              file=sys.stderr)
        return 2
    if args.action == "export":
        from ..errors import BadArgumentError

        try:
            check_out_dir(args.out, "--out")
        except BadArgumentError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    from ..studies import STATUSES, StoreError

    if args.action == "list" and args.status is not None and args.status not in STATUSES:
        print(f"error: --status {terminal_safe(args.status)!r} is not a status; give one of {', '.join(STATUSES)}",
              file=sys.stderr)
        return 2
    try:
        store = open_store(args.db, args.files)
    except StoreError as e:
        print(f"error: {terminal_safe(str(e))}", file=sys.stderr)
        return 2
    try:
        return {"add": _add, "list": _list, "export": _export, "audit": _audit, "delete": _delete}[args.action](
            store, args)
    finally:
        store.close()


def _add(store, args) -> int:
    from ..analyze import analyze_record
    from ..classifier.predict import BeatClassifier
    from ..io.upload import read_record_from_files
    from ..rhythm.predict import RhythmClassifier
    from ..studies import manifest
    from ..studies.intake import record_files, study_options

    try:  # models loaded once, for every record; a --model that cannot load is a bad argument
        clf, rhythm = BeatClassifier.load(args.model), RhythmClassifier.load(args.rhythm_model)
    except ECGError as e:
        print(f"error: {terminal_safe(str(e))}", file=sys.stderr)
        return 2
    lead = parse_lead(args.lead)
    options = study_options(fs=args.fs, reference_beats=args.reference_beats, lead=lead)
    who = args.who or user_name()
    failed = 0
    for path in args.records:
        try:
            files = record_files(path, args.annotator)
            found = store.find(manifest(files, options))
            if found is not None:
                print(f"already in the store: study {found}")
                continue
            rec = read_record_from_files(files, fs=args.fs, annotator=args.annotator, max_hours=args.max_hours,
                                         lead=lead, max_signal_mb=args.max_signal_mb)
            analysis = analyze_record(rec, lead=lead, reference_beats=args.reference_beats, classifier=clf,
                                      rhythm=rhythm, adapt=True)
            sid = store.add(files, analysis, who=who, label=args.label, source="cli", options=options)
        except Exception as e:  # noqa: BLE001 (one record's failure never stops the others)
            failed += 1
            print(f"error: {terminal_safe(path)}: {failure_message(e)}", file=sys.stderr)
            continue
        print(f"added study {sid}: {terminal_safe(rec.name)} ({rec.duration_s / 3600:.2f} h)")
    return 1 if failed else 0


#: Columns of the worklist table: (heading, width).
LIST_COLUMNS = (("id", 5), ("label", 24), ("record", 12), ("length", 6), ("status", 9), ("reviewer", 14),
                ("corr.", 5), ("AF %", 5), ("PVC %", 5), ("pauses", 6), ("last change (UTC)", 17))


def _list(store, args) -> int:
    df = store.list(status=args.status, text=args.text)
    if args.json:
        print(json.dumps([{k: _json_value(v) for k, v in row.items()} for row in df.to_dict("records")], indent=1))
        return 0
    if not len(df):
        print("no studies" + (" of status " + args.status if args.status else "") + (" matching the text"
                                                                                      if args.text else ""))
        return 0
    from ..report.content import utc_text

    lines = [[h for h, _ in LIST_COLUMNS]]
    for r in df.itertuples(index=False):
        mins = int(round((r.duration_s or 0) / 60))
        lines.append([str(r.id), r.label, r.record_name, f"{mins // 60}:{mins % 60:02d}", r.status, r.reviewer or "",
                      str(r.n_corrections), _pct(r.af_burden_pct), _pct(r.pvc_burden_pct),
                      "" if _missing(r.n_pauses) else str(int(r.n_pauses)), utc_text(r.updated_at, seconds=False)])
    for line in lines:
        print(_row(line, [w for _, w in LIST_COLUMNS]))
    return 0


def _export(store, args) -> int:
    from ..studies.export import export_study

    try:
        paths = export_study(store, args.id, args.out)
    except Exception as e:  # noqa: BLE001 (the reason, one line)
        print(f"error: study {args.id}: {failure_message(e)}", file=sys.stderr)
        return 1
    for p in paths:
        print(f"wrote {terminal_safe(str(p))}")
    return 0


def _audit(store, args) -> int:
    from ..report.content import AUDIT_HEAD, audit_rows
    from ..studies import StoreError

    try:
        store.get(args.id)
    except StoreError as e:
        print(f"error: {terminal_safe(str(e))}", file=sys.stderr)
        return 1
    trail = store.audit_trail(args.id)
    if args.json:
        print(json.dumps([{k: _json_value(v) for k, v in row.items()} for row in trail.to_dict("records")], indent=1))
        return 0
    widths = (19, 16, 18, 18, 60)
    for line in [AUDIT_HEAD, *audit_rows(trail)]:
        print(_row(line, widths))
    return 0


def _delete(store, args) -> int:
    from ..studies import StoreError

    try:
        row = store.get(args.id)
        store.delete(args.id)
    except StoreError as e:
        print(f"error: {terminal_safe(str(e))}", file=sys.stderr)
        return 1
    print(f"deleted study {args.id}: {terminal_safe(row['label'])}")
    return 0


def _row(cells, widths) -> str:
    """One line of a table: each cell made safe for the terminal, cut or padded to its width."""
    out = []
    for text, w in zip(cells, widths):
        text = terminal_safe(str(text))
        out.append(text[:w - 1] + "…" if len(text) > w else text.ljust(w))
    return "  ".join(out).rstrip()


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _pct(v) -> str:
    return "" if _missing(v) else f"{float(v):.1f}"


def _json_value(v):
    """A value of the store as JSON takes it: times in ISO 8601 (UTC when the database gave none),
    NaN as null, numpy numbers as plain ones."""
    import datetime as dt

    import numpy as np
    import pandas as pd

    if v is pd.NaT:
        return None
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        t = pd.Timestamp(v)
        return (t.tz_localize("UTC") if t.tzinfo is None else t).isoformat()
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v
