"""Philips Sierra / PhilipsECG XML (ecg_lstm.io.sierra_format): hand-made files laid out as the
1.04 schema (UTF-16 as the carts write them, XLI-compressed and uncompressed), the XLI lead
reconstruction, and the files refused by name.

No package the tests can install ships a real Sierra file (sierraecg's wheel has no test data),
so the files are made here: :func:`xli_encode` is the inverse of sierraecg's decoder (LZW with
10-bit codes, then the second-difference predictor), written for these tests only.
"""
import base64

import numpy as np
import pytest

from ecg_lstm import errors as E
from ecg_lstm.io import read_record_from_files
from ecg_lstm.io.sierra_format import STANDARD_12

FS, N, RES = 500, 5000, 5  # 10 s at 500 Hz, 5 uV per unit
_T = np.arange(N) / FS
LIMB_I, LIMB_II = (np.round(np.sin(2 * np.pi * 1.1 * _T + p) ** 41 * a).astype(np.int32)
                   for p, a in ((0, 150), (.1, 250)))
TRUE = {"I": LIMB_I, "II": LIMB_II, "III": LIMB_II - LIMB_I, "aVR": -(LIMB_I + LIMB_II) // 2,
        "aVL": (LIMB_I - (LIMB_II - LIMB_I)) // 2, "aVF": (LIMB_II + (LIMB_II - LIMB_I)) // 2,
        **{f"V{k}": np.round(np.sin(2 * np.pi * 1.1 * _T + .2) ** 41 * 100 * k).astype(np.int32) for k in range(1, 7)}}


def _lzw(data: bytes, bits: int = 10) -> bytes:
    table = {bytes([i]): i for i in range(256)}
    nxt, limit, codes, w = 256, (1 << bits) - 2, [], b""
    for b in data:
        wc = w + bytes([b])
        if wc in table:
            w = wc
            continue
        codes.append(table[w])
        if nxt <= limit:
            table[wc] = nxt
            nxt += 1
        w = bytes([b])
    if w:
        codes.append(table[w])
    acc = "".join(format(c, f"0{bits}b") for c in codes)
    acc += "0" * (-len(acc) % 8)
    return int(acc, 2).to_bytes(len(acc) // 8, "big") if acc else b""


def xli_encode(leads: list[np.ndarray]) -> bytes:
    """XLI chunks: per lead, an 8-byte header (size, 2 unused bytes, start) and the LZW-packed deltas."""
    out = b""
    for s in leads:
        s = s.astype(np.int64)
        raw = np.zeros(len(s), np.int64)
        raw[:2] = s[:2]
        start = 2 * s[1] - s[0] - s[2]
        raw[2:-1] = 2 * s[2:-1] - s[1:-2] - s[3:] + 64
        u = (raw.astype(np.int16).view(np.uint16)).astype(np.int64)
        packed = _lzw(bytes((u >> 8).tolist()) + bytes((u & 0xFF).tolist()))
        out += len(packed).to_bytes(4, "little") + b"\0\0" + int(start).to_bytes(2, "little", signed=True) + packed
    return out


def stored_leads() -> list[np.ndarray]:
    """The 12 leads as the cart stores them: III, aVR, aVL, aVF as residuals of I and II."""
    i, ii, iii = TRUE["I"], TRUE["II"], TRUE["III"]
    return [i, ii, ii - i - iii, -TRUE["aVR"] - (i + ii) // 2, (i - iii) // 2 - TRUE["aVL"],
            (ii + iii) // 2 - TRUE["aVF"], *(TRUE[f"V{k}"] for k in range(1, 7))]


def sierra(payload=None, compression="XLI", version="1.04", kind="PhilipsECG", rate="500", duration=N * 2,
           labels=" ".join(STANDARD_12), encoding="utf-16", prolog="") -> bytes:
    if payload is None:
        payload = xli_encode(stored_leads()) if compression == "XLI" else \
            np.stack([TRUE[k] for k in STANDARD_12]).astype("<i2").tobytes()
    text = f"""<?xml version="1.0" encoding="{encoding}"?>{prolog}
<restingecgdata xmlns="http://www3.medical.philips.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <documentinfo><documenttype>{kind}</documenttype><documentversion>{version}</documentversion></documentinfo>
  <patient><generalpatientdata><patientid>PID-42</patientid><name><lastname>Example</lastname>
    <firstname>Ann</firstname></name><age><years>50</years></age><sex>Female</sex></generalpatientdata></patient>
  <dataacquisition date="2011-12-01" time="07:27:34"><signalcharacteristics>
    <samplingrate>{rate}</samplingrate><resolution>{RES}</resolution><acquisitiontype>10-WIRE</acquisitiontype>
    <bitspersample>16</bitspersample><signaloffset>0</signaloffset><signalsigned>True</signalsigned>
    <numberchannelsallocated>12</numberchannelsallocated><numberchannelsvalid>12</numberchannelsvalid>
  </signalcharacteristics></dataacquisition>
  <waveforms><parsedwaveforms dataencoding="Base64" compression="{compression}" numberofleads="{len(labels.split())}"
    leadlabels="{labels}" durationperchannel="{duration}" samplespersecond="{rate}" resolution="{RES}"
    >{base64.b64encode(payload).decode()}</parsedwaveforms></waveforms>
</restingecgdata>"""
    return text.encode(encoding)


@pytest.mark.parametrize("compression, encoding", [("XLI", "utf-16"), ("Uncompressed", "utf-8")])
def test_files_read_with_their_scale_names_start_and_patient(compression, encoding):
    rec = read_record_from_files({"ecg.xml": sierra(compression=compression, encoding=encoding)})
    assert rec.lead_names == list(STANDARD_12) and rec.fs == 500.0 and rec.n_samples == N
    for j, lead in enumerate(STANDARD_12):  # XLI: III, aVR, aVL, aVF rebuilt from their residuals
        assert np.allclose(rec.signal[:, j], TRUE[lead] * RES / 1000), lead
    assert rec.metadata["base_date"] == "2011-12-01" and rec.metadata["base_time"] == "07:27:34"
    assert rec.metadata["patient"]["last_name"] == "Example"
    assert rec.metadata["sierra"]["compression"] == compression


def test_without_lead_labels_the_channels_take_the_standard_12_lead_names():
    assert read_record_from_files({"ecg.xml": sierra(labels="")}).lead_names == list(STANDARD_12)


def test_the_encoder_here_is_what_sierraecg_decodes():
    from sierraecg.xli import xli_decode

    leads = stored_leads()
    got = xli_decode(xli_encode(leads), list(STANDARD_12))
    assert all(np.array_equal(g[:N], s) for g, s in zip(got, leads))


@pytest.mark.parametrize("case, data, error, match", [
    ("unsupported compression", sierra(compression="Huffman", payload=b"\0" * 100), E.UnsupportedFormatError,
     "compression 'Huffman'"),
    ("unsupported version", sierra(version="2.0"), E.UnsupportedFormatError, "version 2.0"),
    ("rate 50 Hz", sierra(rate="50", duration=N * 20), E.SamplingRateError, "100..2000 Hz"),
    ("rate 5000 Hz", sierra(rate="5000", duration=N // 5), E.SamplingRateError, "100..2000 Hz"),
    ("17 leads", sierra(labels=" ".join(f"L{k}" for k in range(17))), E.MalformedRecordError, "leads"),
    ("uncompressed cut short", sierra(compression="Uncompressed", payload=b"\0" * 1000), E.TruncatedRecordError,
     "truncated"),
    ("XLI cut short", sierra(payload=xli_encode(stored_leads()[:5])), E.TruncatedRecordError, "truncated"),
    ("XLI damaged", sierra(payload=b"\xff" * 64), E.MalformedRecordError, "cannot be decoded"),
    ("entity bomb", sierra(prolog='<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>', encoding="utf-8"),
     E.MalformedRecordError, "<!DOCTYPE"),
])
def test_bad_files_are_refused_by_name(case, data, error, match):
    with pytest.raises(error, match=match):
        read_record_from_files({"ecg.xml": data})
