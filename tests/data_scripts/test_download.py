"""The PhysioNet downloader, run against loopback http servers and folders (never the internet).

The MIT-BIH copy is served as it is; damaged sources are small fake databases built here.
"""
import functools
import hashlib
import http.server
import os
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
import wfdb
from wfdb.io import download as wfdb_download

from data_scripts import sources
from data_scripts.download import download, ensure_records, main
from data_scripts.verify import parse_sums
from ecg_lstm.errors import DownloadError

ROOT = Path(__file__).resolve().parents[2]
MITDB_FILES = 8  # RECORDS, ANNOTATORS + .hea/.dat/.atr of the records 100 and 101


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _TruncatingHandler(_QuietHandler):
    """Announces the full size of .dat files but closes the connection half-way through."""

    def do_GET(self):
        if not self.path.endswith(".dat"):
            return super().do_GET()
        data = Path(self.translate_path(self.path)).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.close_connection = True


@contextmanager
def serve(folder: Path, handler=_QuietHandler):
    """Serve ``folder`` on 127.0.0.1 (random port) in a thread; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def physionet_layout(tmp_path: Path, mitdb_dir: Path) -> Path:
    """A folder laid out like physionet.org/files: ``mitdb/1.0.0/`` -> the MIT-BIH copy."""
    root = tmp_path / "pn"
    (root / "mitdb").mkdir(parents=True)
    (root / "mitdb" / "1.0.0").symlink_to(mitdb_dir.resolve(), target_is_directory=True)
    return root


def fake_db(folder: Path, wrong_sum: bool = False, files: dict | None = None) -> Path:
    """A small WFDB database (default: record x1, 10 samples, format 16) with RECORDS and SHA256SUMS.txt."""
    files = files or {"RECORDS": "x1\n", "x1.hea": "x1 1 360 10\nx1.dat 16 200 11 0 0 0 0 MLII\n",
                      "x1.dat": bytes(range(20))}
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content.encode() if isinstance(content, str) else content)
    sums = {n: sha(folder / n) for n in files}
    if wrong_sum:
        sums["x1.dat"] = "0" * 64
    (folder / "SHA256SUMS.txt").write_text("".join(f"{v}  {k}\n" for k, v in sums.items()))
    return folder


def assert_verified(dest: Path, mitdb_dir: Path, names):
    for name in names:
        assert sha(dest / name) == sha(mitdb_dir / name), name
    assert not list(dest.rglob("*.part"))


@pytest.fixture(autouse=True)
def no_env_mirror(monkeypatch):
    monkeypatch.delenv("ECG_MIRROR", raising=False)


@pytest.fixture
def pn_url(tmp_path, mitdb_dir):
    with serve(physionet_layout(tmp_path, mitdb_dir)) as url:
        yield url


def test_http_mirror_physionet_layout(tmp_path, mitdb_dir, pn_url):
    out = tmp_path / "out"
    summary = download("mitdb", out, mirror=pn_url, records=["100", "101"], progress=False)
    dest = out / "mitdb"
    assert summary.path == dest and summary.n_files == MITDB_FILES and summary.n_fetched == MITDB_FILES
    assert_verified(dest, mitdb_dir, ["100.hea", "100.dat", "100.atr", "101.dat", "RECORDS", "SHA256SUMS.txt"])
    assert not (dest / "102.hea").exists()
    # Second run: everything is present and verified, nothing is fetched.
    assert download("mitdb", out, mirror=pn_url, records=["100", "101"], progress=False).n_fetched == 0
    # wfdb's global index URL is left as it was.
    assert wfdb_download.config.db_index_url == wfdb_download.PN_INDEX_URL


def test_http_mirror_pointing_at_the_database_folder(tmp_path, mitdb_dir):
    with serve(mitdb_dir) as url:  # the version is irrelevant when the folder itself is served
        summary = download("mitdb", tmp_path, mirror=url, records=["101"], version="9.9.9", progress=False)
    assert summary.n_fetched == 5
    assert_verified(tmp_path / "mitdb", mitdb_dir, ["101.hea", "101.dat", "101.atr"])


@pytest.mark.parametrize("layout", ["db_folder", "physionet"])
def test_folder_mirror_from_environment(tmp_path, mitdb_dir, monkeypatch, layout):
    mirror = mitdb_dir if layout == "db_folder" else physionet_layout(tmp_path, mitdb_dir)
    monkeypatch.setenv("ECG_MIRROR", str(mirror))
    summary = download("mitdb", tmp_path / "out", records=["100"], progress=False)
    assert summary.source == str(mirror) and summary.n_fetched == 5
    assert_verified(tmp_path / "out" / "mitdb", mitdb_dir, ["100.hea", "100.dat", "100.atr"])


def test_damaged_local_files_are_downloaded_again(tmp_path, mitdb_dir, pn_url):
    download("mitdb", tmp_path, mirror=pn_url, records=["100"], progress=False)
    dest = tmp_path / "mitdb"
    data = bytearray((dest / "100.dat").read_bytes())
    data[1000] ^= 0xFF  # same size, one flipped byte: only a checksum notices
    (dest / "100.dat").write_bytes(bytes(data))
    (dest / "100.atr").write_bytes((dest / "100.atr").read_bytes()[:100])  # truncated
    assert download("mitdb", tmp_path, mirror=pn_url, records=["100"], progress=False).n_fetched == 2
    assert_verified(dest, mitdb_dir, ["100.dat", "100.atr", "100.hea"])


def test_leftover_part_file_is_not_taken_as_complete(tmp_path, mitdb_dir):
    dest = tmp_path / "mitdb"
    dest.mkdir()
    (dest / "100.hea.part").write_bytes((mitdb_dir / "100.hea").read_bytes()[:40])
    (dest / "100.dat.part").write_bytes((mitdb_dir / "100.dat").read_bytes())  # even a full .part
    (dest / "SHA256SUMS.txt").write_bytes((mitdb_dir / "SHA256SUMS.txt").read_bytes())
    offline = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(DownloadError, match="cannot reach"):
        ensure_records("mitdb", ["100"], out=tmp_path, mirror=offline)
    download("mitdb", tmp_path, mirror=str(mitdb_dir), records=["100"], progress=False)
    assert_verified(dest, mitdb_dir, ["100.hea", "100.dat", "100.atr"])


@pytest.mark.parametrize("over_http", [False, True])
def test_bad_checksum_raises_and_leaves_no_file(tmp_path, over_http):
    src = fake_db(tmp_path / "fake", wrong_sum=True)
    out = tmp_path / "out"
    if over_http:
        with serve(src) as url, pytest.raises(DownloadError, match=r"x1\.dat .*does not match its SHA-256"):
            download("fakedb", out, mirror=url, progress=False)
    else:
        with pytest.raises(DownloadError, match=r"x1\.dat .*does not match its SHA-256"):
            download("fakedb", out, mirror=str(src), progress=False)
    names = sorted(p.name for p in (out / "fakedb").iterdir())
    assert names == ["RECORDS", "SHA256SUMS.txt", "x1.hea"]  # no x1.dat, no x1.dat.part


def test_interrupted_transfer_leaves_no_complete_looking_file(tmp_path):
    src = fake_db(tmp_path / "fake")
    out = tmp_path / "out"
    with serve(src, _TruncatingHandler) as url, pytest.raises(DownloadError, match="x1.dat"):
        download("fakedb", out, mirror=url, progress=False)
    assert not (out / "fakedb" / "x1.dat").exists() and not (out / "fakedb" / "x1.dat.part").exists()
    # Once the source is whole again the same command completes the copy.
    assert download("fakedb", out, mirror=str(src), progress=False).n_fetched == 1
    assert sha(out / "fakedb" / "x1.dat") == sha(src / "x1.dat")


def test_nested_and_multi_segment_records(tmp_path):
    seg = "{0} 1 360 10\n{0}.dat 16 200 11 0 0 0 0 MLII\n"
    files = {"RECORDS": "x1\nsub/\n", "ANNOTATORS": "atr\treference beat annotations\n",
             "x1.hea": seg.format("x1"), "x1.dat": bytes(20), "x1.atr": bytes(4),
             "sub/RECORDS": "m1\n", "sub/m1.hea": "m1/2 1 360 20\ns1 10\ns2 10\n",
             "sub/s1.hea": seg.format("s1"), "sub/s1.dat": bytes(range(20)),
             "sub/s2.hea": seg.format("s2"), "sub/s2.dat": bytes(range(20, 40)),
             "sub/unrelated.txt": "not part of any record"}
    src = fake_db(tmp_path / "fake", files=files)
    summary = download("fakedb", tmp_path / "out", mirror=str(src), progress=False)
    dest = tmp_path / "out" / "fakedb"
    assert summary.n_fetched == len(files) - 1
    for name in files:
        assert (dest / name).exists() == (name != "sub/unrelated.txt"), name
    assert wfdb.rdrecord(str(dest / "sub" / "m1")).sig_len == 20


def test_unknown_database_record_and_bad_names(tmp_path, pn_url):
    with pytest.raises(DownloadError, match="has no database 'nosuchdb'"):
        download("nosuchdb", tmp_path, mirror=pn_url, version="1.0.0", progress=False)
    with pytest.raises(DownloadError, match="record '999' is not in mitdb"):
        download("mitdb", tmp_path, mirror=pn_url, records=["999"], progress=False)
    with pytest.raises(DownloadError, match="not a PhysioNet database name"):
        download("../mitdb", tmp_path, mirror=pn_url)
    with pytest.raises(DownloadError, match="unsafe record name"):
        download("mitdb", tmp_path, mirror=pn_url, records=["../100"])
    with pytest.raises(DownloadError, match="unsafe file name"):
        parse_sums(b"0" * 64 + b"  ../../etc/passwd\n", "SHA256SUMS.txt")


def test_unreachable_sources_say_what_to_do(tmp_path, monkeypatch):
    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(DownloadError, match=r"cannot reach 127\.0\.0\.1.*ECG_MIRROR"):
        download("mitdb", tmp_path, mirror=url)
    # The default source (PhysioNet) goes through the same path.
    monkeypatch.setattr(sources, "PHYSIONET_URL", url)
    with pytest.raises(DownloadError, match=r"cannot reach 127\.0\.0\.1.*set ECG_MIRROR"):
        download("mitdb", tmp_path)
    with pytest.raises(DownloadError, match="neither an http"):
        download("mitdb", tmp_path, mirror=str(tmp_path / "missing"))
    assert not (tmp_path / "mitdb").exists()


def test_silent_server_times_out(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "TIMEOUT_S", (0.5, 0.5))
    with socket.socket() as listener:  # accepts connections (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        with pytest.raises(DownloadError, match="no answer within"):
            download("mitdb", tmp_path, mirror=url)


def test_ensure_records_downloads_once_then_works_offline(tmp_path, mitdb_dir, pn_url):
    path = ensure_records("mitdb", ["100"], out=tmp_path, mirror=pn_url)
    assert path == tmp_path / "mitdb"
    assert_verified(path, mitdb_dir, ["100.hea", "100.dat", "100.atr"])
    offline = f"http://127.0.0.1:{free_port()}/"
    assert ensure_records("mitdb", ["100"], out=tmp_path, mirror=offline) == path
    with pytest.raises(DownloadError, match="cannot reach"):
        ensure_records("mitdb", ["101"], out=tmp_path, mirror=offline)


def test_cli(tmp_path, mitdb_dir, capsys):
    assert main(["--mirror", str(mitdb_dir), "--out", str(tmp_path), "--records", "100", "--quiet"]) == 0
    assert_verified(tmp_path / "mitdb", mitdb_dir, ["100.hea", "100.dat", "100.atr"])
    capsys.readouterr()
    assert main(["--db", "nosuchdb", "--mirror", str(mitdb_dir.parent), "--out", str(tmp_path), "--version", "1"]) == 1
    assert "error: mirror" in capsys.readouterr().err
    # As a module: the message, no traceback, a non-zero exit status.
    env = {**os.environ, "ECG_MIRROR": str(tmp_path / "missing")}
    run = subprocess.run([sys.executable, "-m", "data_scripts.download", "--out", str(tmp_path)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "neither an http(s) URL nor an existing folder" in run.stderr and "Traceback" not in run.stderr
