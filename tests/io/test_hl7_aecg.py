"""HL7 aECG XML (ecg_lstm.io.hl7_aecg_format): the MIT-BIH round trip, a hand-made file laid out as
the HL7 aECG implementation guide's example, and every bad file refused by name (entity bombs and
external entities before any parsing)."""
import numpy as np
import pytest

from ecg_lstm import errors as E
from ecg_lstm.io import read_record, read_record_from_files
from ecg_lstm.io.hl7_aecg_format import write_hl7_aecg
from tests.io.roundtrip import assert_same_analysis, assert_same_record, excerpt

FS, N = 500, 5000
_T = np.arange(N) / FS
DIGITS = {lead: np.round(np.sin(2 * np.pi * 1.1 * _T + k) ** 41 * 200 * (1 - 0.1 * k) - 4 * k).astype(int)
          for k, lead in enumerate(("I", "II", "V2"))}


def aecg(leads=None, increment='<increment value="0.002" unit="s"/>', scale='<scale value="5" unit="uV"/>',
         origin='<origin value="0" unit="uV"/>', prolog="", time_code="TIME_ABSOLUTE") -> bytes:
    """An aECG laid out as the implementation guide's example: a subject, one rhythm series, a
    TIME_ABSOLUTE sequence and SLIST_PQ lead sequences in uV (5 uV per unit, 500 Hz)."""
    leads = DIGITS if leads is None else leads
    seqs = "".join(
        f"""<component><sequence><code code="MDC_ECG_LEAD_{lead.upper()}" codeSystem="2.16.840.1.113883.6.24"
        codeSystemName="MDC"/><value xsi:type="SLIST_PQ">{origin}{scale}<digits>{' '.join(map(str, d))}</digits>
        </value></sequence></component>""" for lead, d in leads.items())
    return f"""<?xml version="1.0" encoding="UTF-8"?>{prolog}
<AnnotatedECG xmlns="urn:hl7-org:v3" xmlns:voc="urn:hl7-org:v3/voc"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" type="Observation">
  <id root="61d1a24f-b47e-41aa-ae95-f8ac302f4eeb"/>
  <code code="93000" codeSystem="2.16.840.1.113883.6.12" codeSystemName="CPT-4"/>
  <effectiveTime><low value="20021122091000.000"/><high value="20021122091010.000"/></effectiveTime>
  <componentOf><timepointEvent><componentOf><subjectAssignment><subject><trialSubject>
    <id root="2.16.840.1.113883.3.5" extension="SUBJ-0001"/>
    <subjectDemographicPerson><name>JDoe</name>
      <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
      <birthTime value="19521203"/></subjectDemographicPerson>
  </trialSubject></subject></subjectAssignment></componentOf></timepointEvent></componentOf>
  <component><series>
    <code code="RHYTHM" codeSystem="2.16.840.1.113883.5.4"/>
    <component><sequenceSet>
      <component><sequence><code code="{time_code}" codeSystem="2.16.840.1.113883.5.4"/>
        <value xsi:type="GLIST_TS"><head value="20021122091000.000"/>{increment}</value></sequence></component>
      {seqs}
    </sequenceSet></component>
  </series></component>
</AnnotatedECG>""".encode()


def test_implementation_guide_layout_reads_with_its_own_scale_names_start_and_subject():
    rec = read_record_from_files({"e.xml": aecg()})
    assert rec.lead_names == ["I", "II", "V2"] and rec.fs == 500.0 and rec.n_samples == N
    assert np.allclose(rec.signal[:, 1], DIGITS["II"] * 0.005)
    assert rec.metadata["base_date"] == "2002-11-22" and rec.metadata["base_time"] == "09:10:00"
    assert rec.metadata["patient"] == {"id": "SUBJ-0001", "name": "JDoe", "sex": "F", "birth_date": "19521203"}


def test_origin_and_scale_in_their_own_units():
    rec = read_record_from_files({"e.xml": aecg(scale='<scale value="0.005" unit="mV"/>',
                                                origin='<origin value="-20" unit="uV"/>', time_code="TIME_RELATIVE",
                                                increment='<increment value="2" unit="ms"/>')})
    assert rec.fs == 500.0
    assert np.allclose(rec.signal[:, 0], DIGITS["I"] * 0.005 - 0.02)


def test_mitdb_excerpt_round_trip_reads_and_analyses_the_same(mitdb_dir, tmp_path):
    rec = excerpt(mitdb_dir)
    got = read_record(write_hl7_aecg(rec, tmp_path / "100.xml"))
    assert_same_record(got, rec)
    assert got.metadata["format"] == "hl7-aecg"
    assert_same_analysis(got, mitdb_dir)


BOMB = """<!DOCTYPE AnnotatedECG [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>"""
XXE = '<!DOCTYPE AnnotatedECG [<!ENTITY x SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("case, data, error, match", [
    ("entity bomb", aecg(prolog=BOMB), E.MalformedRecordError, "<!DOCTYPE"),
    ("external entity", aecg(prolog=XXE), E.MalformedRecordError, "<!DOCTYPE"),
    ("rate 50 Hz", aecg(increment='<increment value="0.02" unit="s"/>'), E.SamplingRateError, "100..2000 Hz"),
    ("rate 5000 Hz", aecg(increment='<increment value="0.2" unit="ms"/>'), E.SamplingRateError, "100..2000 Hz"),
    ("no increment", aecg(increment=""), E.SamplingRateError, "increment"),
    ("no time sequence", aecg(time_code="SOMETHING"), E.MalformedRecordError, "TIME_ABSOLUTE"),
    ("no leads", aecg(leads={}), E.SignalQualityError, "0 lead"),
    ("leads of unequal length", aecg(leads={"I": [1, 2, 3] * 1000, "II": [1, 2] * 1000}), E.HeaderMismatchError,
     "equally long"),
    ("digits not numbers", aecg(leads={"I": ["1", "x"] * 1000}), E.MalformedRecordError, "digits"),
    ("scale in mmHg", aecg(scale='<scale value="1" unit="mm[Hg]"/>'), E.MalformedRecordError, "V, mV or uV"),
    ("cut short", aecg()[:3000], E.MalformedRecordError, "not well formed"),
    ("another XML", b"<?xml version='1.0'?><config><a/></config>", E.UnsupportedFormatError, "<config>"),
    ("not XML", b"just text", E.UnsupportedFormatError, "not an XML"),
])
def test_bad_files_are_refused_by_name(case, data, error, match):
    with pytest.raises(error, match=match):
        read_record_from_files({"e.xml": data})


def test_xml_guard_finds_the_root_past_comments_in_utf16_and_refuses_declarations(tmp_path):
    from ecg_lstm.io.xml_guard import root_element

    p = tmp_path / "a.xml"
    p.write_bytes('<?xml version="1.0" encoding="utf-16"?><!-- a <b> --><ns:restingecgdata/>'.encode("utf-16"))
    assert root_element(p) == "restingecgdata"
    p.write_bytes(b"<?xml version='1.0'?><!-- x --><!ENTITY a 'b'><r/>")
    with pytest.raises(E.MalformedRecordError, match="<!ENTITY"):
        root_element(p)
    p.write_bytes(b"<?xml version='1.0'?><!-- never closed <r/>")
    with pytest.raises(E.MalformedRecordError, match="not closed"):
        root_element(p)
