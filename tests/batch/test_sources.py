"""What a batch analyses (batch/sources.py): a walk stays inside its sources and ends, each
record file is analysed once, and a list file's lines are checked. No Ray needed."""
from __future__ import annotations

import os

import pytest

from ecg_lstm.batch.sources import find_records
from ecg_lstm.errors import RecordError


def _record(folder, name):
    """A WFDB-looking record (header + signal file); find_records reads no data."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.hea").write_text(f"{name} 1 360 10\n{name}.dat 212 200 11 1024 0 0 0 MLII\n")
    (folder / f"{name}.dat").write_bytes(b"\0" * 15)


def test_a_link_out_of_the_tree_is_not_walked(tmp_path):
    _record(tmp_path / "src" / "a", "100")
    _record(tmp_path / "elsewhere", "999")
    os.symlink(tmp_path / "elsewhere", tmp_path / "src" / "outside")
    tasks = find_records([str(tmp_path / "src")])
    assert [t.record_id for t in tasks] == ["src/a/100"]
    with_links = find_records([str(tmp_path / "src")], follow_links=True)
    assert sorted(t.record_id for t in with_links) == ["src/a/100", "src/outside/999"]


def test_link_loops_end_and_each_record_is_analysed_once(tmp_path):
    src = tmp_path / "src"
    _record(src / "a", "100")
    os.symlink(src, src / "a" / "loop")        # a link back to the root
    os.symlink(src / "a", src / "again")        # a second way into the same folder
    os.symlink(src / "a" / "loop", src / "a" / "loop2")  # a chain of links into the loop
    for follow in (False, True):
        tasks = find_records([str(src)], follow_links=follow)
        assert len(tasks) == 1, (follow, tasks)
        assert tasks[0].record_id == "src/a/100"


def test_two_links_to_one_record_file_give_one_task(tmp_path):
    src = tmp_path / "src"
    _record(tmp_path / "store", "100")
    src.mkdir()
    for name in ("x", "y"):
        for ext in ("hea", "dat"):
            os.symlink(tmp_path / "store" / f"100.{ext}", src / f"{name}.{ext}")
    tasks = find_records([str(src)])
    assert len(tasks) == 1 and tasks[0].record_id == "src/x"


def test_list_file_lines_are_checked(tmp_path):
    _record(tmp_path, "100")
    (tmp_path / "notes.txt").write_text("not a record")
    good = tmp_path / "list.txt"
    good.write_text("# archive\n100\n./100.hea   # same record, by its header\n")
    assert [t.record_id for t in find_records([str(good)])] == ["100"]
    bad = tmp_path / "bad.txt"
    bad.write_text("100\nnotes.txt\n")
    with pytest.raises(RecordError, match=r"line 2: 'notes.txt' is a .txt file, not a record"):
        find_records([str(bad)])
    ctrl = tmp_path / "ctrl.txt"
    ctrl.write_text("100\n1\x1b[2J00\n")
    with pytest.raises(RecordError, match="line 2: the entry holds control characters"):
        find_records([str(ctrl)])
