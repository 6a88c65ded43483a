"""Holter-length WFDB records made from MIT-BIH, for the Holter benchmark and tests.

MIT-BIH's 48 records last 30 min each: played one after another they make 24 h of two leads at
360 Hz (the database's own digital values, gain 200/mV, written as WFDB format 16). Longer
records repeat the sequence. The patch record is one lead (MLII, or the first lead of the records
without it) resampled to 250 Hz (polyphase, scipy's ``resample_poly``) and repeated to 14 days, as
a single-lead patch monitor records it. The joins are abrupt (a new patient every 30 min): a
harder signal than a real Holter, which changes slowly.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def _parts(data_dir: Path, leads: int, fs: float | None) -> list[np.ndarray]:
    import wfdb
    from scipy.signal import resample_poly

    out = []
    for name in (Path(data_dir) / "RECORDS").read_text().split():
        rec = wfdb.rdrecord(str(Path(data_dir) / name), physical=False)
        d = rec.d_signal[:, :leads].astype(np.int16)
        if fs is not None and fs != rec.fs:
            from fractions import Fraction

            f = Fraction(fs / rec.fs).limit_denominator(1000)
            base = np.asarray(rec.baseline[:leads], np.float64)
            y = resample_poly(d.astype(np.float64) - base, f.numerator, f.denominator, axis=0) + base
            d = np.clip(np.rint(y), -32768, 32767).astype(np.int16)
        out.append(d)
    return out


def join_records(data_dir, out_dir, hours: float = 24.0, leads: int = 2, fs: float | None = None,
                 name: str | None = None) -> Path:
    """Write ``hours`` of MIT-BIH records played in turn as one WFDB record in ``out_dir``;
    ``leads`` 1 or 2, ``fs`` None (360 Hz) or a rate to resample to. Returns the record path
    (without extension). The signal file is written in pieces: a 14-day record is never whole
    in memory."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = _parts(Path(data_dir), leads, fs)
    rate = 360.0 if fs is None else float(fs)
    n = int(round(hours * 3600 * rate))
    name = name or f"holter_{round(hours * 60)}min_{leads}lead_{rate:g}hz"
    total, written, i = np.zeros(leads, np.int64), 0, 0
    with open(out_dir / f"{name}.dat", "wb") as f:
        while written < n:
            d = parts[i % len(parts)][:n - written]
            f.write(np.ascontiguousarray(d, "<i2").tobytes())
            total += d.sum(axis=0, dtype=np.int64)
            written += len(d)
            i += 1
    names = ["MLII", "V"][:leads]
    checksums = [int((t + 32768) % 65536) - 32768 for t in total]
    lines = [f"{name} {leads} {rate:g} {n}"]
    first = parts[0][0]
    lines += [f"{name}.dat 16 200/mV 11 1024 {int(v)} {c} 0 {s}" for v, c, s in zip(first, checksums, names)]
    (out_dir / f"{name}.hea").write_text("\n".join(lines) + "\n")
    return out_dir / name


def csv_copy(record: Path, out: Path, rows_per_piece: int = 1 << 20) -> Path:
    """The WFDB record ``record`` (as written by :func:`join_records`) as a CSV of its leads in mV to
    three decimals, no time column (the rate is given apart, as for a recorder's plain export): 24 h
    of two leads at 360 Hz is about 400 MB. Written in pieces of ``rows_per_piece`` rows by pyarrow
    (numpy's savetxt takes minutes for a day)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import wfdb

    record, out = Path(record), Path(out)
    h = wfdb.rdheader(str(record))
    gain, base = np.asarray(h.adc_gain, np.float64), np.asarray(h.baseline, np.float64)
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    with open(record.with_suffix(".dat"), "rb") as f, open(out, "wb") as g:
        g.write((",".join(h.sig_name) + "\n").encode())
        while piece := f.read(rows_per_piece * 2 * h.n_sig):
            mv = np.round((np.frombuffer(piece, "<i2").reshape(-1, h.n_sig) - base) / gain, 3)
            pacsv.write_csv(pa.table({n: mv[:, j] for j, n in enumerate(h.sig_name)}), g, options)
    return out
