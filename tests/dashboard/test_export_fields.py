"""The export section's report fields: laid out a row at a time (so Tab goes across a row), checked
(dates), with the report's downloads disabled until they are right; the technician's strips."""
from __future__ import annotations

import pytest

pytest.importorskip("streamlit")
from dashboard.sections import export  # noqa: E402
from tests.dashboard.test_dashboard import _app, _files, _open_tab, _upload, cuts  # noqa: E402, F401


def test_fields_row_by_row_with_validation(monkeypatch, cuts):  # noqa: F811
    at = _open_tab(_upload(_app(monkeypatch), _files(cuts / "c100")), "Export")
    keys = [w.key for w in [*at.text_input, *at.text_area] if (w.key or "").startswith("report_")
            and not w.key.startswith("report_strip")]
    order = [k for row in export.FIELD_ROWS for k in row]
    # Page order is Tab order: the fields come a row at a time (name, ID, birth date, then the next row).
    inputs = [w.key for w in at.text_input if w.key in {f"report_{k}" for k in order}]
    assert inputs == [f"report_{k}" for k in order if k not in ("comments", "conclusion")]
    assert set(keys) == {f"report_{k}" for k in order}
    assert not at.error and not at.get("download_button")[2].proto.disabled
    at.text_input(key="report_birth_date").input("31/12/1950")
    at.text_input(key="report_signature_date").input("2026-12-07")
    at.run()
    assert [e.value for e in at.error] == ["Date of birth: '31/12/1950' is not a date; write it as YYYY-MM-DD "
                                           "(or DD.MM.YYYY)."]
    buttons = {b.proto.id: b for b in at.get("download_button")}
    disabled = [b.proto.label for b in buttons.values() if b.proto.disabled]
    assert any("Report (HTML)" in x for x in disabled) and any("Report (PDF" in x for x in disabled)
    at.text_input(key="report_birth_date").input("1950-12-31")
    at.run()
    assert not at.error and not any(b.proto.disabled for b in at.get("download_button") if "Report" in b.proto.label)


def test_strip_times_are_checked():
    assert export.parse_seconds("0:17:30") == 1050.0 and export.parse_seconds("75.5") == 75.5
    assert export.parse_seconds("1:75") is None and export.parse_seconds("soon") is None
    assert export.strip_errors("0:17:30", "7", 1800.0) == ((1050.0, 1057.0), [])
    window, errors = export.strip_errors("0:40:00", "seven", 1800.0)
    assert window is None and len(errors) == 2 and "ends at 0:30:00" in errors[0] and "number of seconds" in errors[1]
