"""The checks every XML record passes before it is parsed, and its root element.

An XML file can ask its parser to expand entities (a "billion laughs" bomb grows a
few hundred bytes into gigabytes) or to read other files (external entities, XXE).
No ECG format needs a document type declaration, so any ``<!DOCTYPE`` or
``<!ENTITY`` is refused here, before a parser sees the file; the parsers then run
through defusedxml as well (which forbids entities and external references again).
The whole document is held in memory to parse it, so its size is checked first.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import MalformedRecordError, RecordTooLargeError, UnsupportedFormatError

#: Bytes read to find the root element (the XML declaration and comments before it).
PROLOG_BYTES = 1 << 16
_ROOT = re.compile(r"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")


def decode_prolog(raw: bytes) -> str:
    """The start of an XML file as text (UTF-16 with a byte-order mark, else UTF-8)."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw[: len(raw) // 2 * 2].decode("utf-16", "replace")
    return raw.decode("utf-8", "replace")


def root_element(path: Path) -> str:
    """The local name of the root element of ``path``; refuses DTDs and entity declarations."""
    with open(path, "rb") as f:
        raw = f.read(PROLOG_BYTES)
    text = decode_prolog(raw)
    i = 0
    while True:
        i = text.find("<", i)
        if i < 0:
            raise UnsupportedFormatError(
                f"{path.name} is not an XML document (no root element in its first {PROLOG_BYTES} bytes); "
                "check that it is an HL7 aECG or Philips Sierra XML export")
        if text.startswith("<?", i):
            i = text.find("?>", i)
        elif text.startswith("<!--", i):
            i = text.find("-->", i)
        elif text.startswith("<!", i):
            raise MalformedRecordError(f"{path.name}: the XML declares a document type or entities (<!DOCTYPE / "
                                       "<!ENTITY); ECG files need none and such declarations can expand into "
                                       "gigabytes or read other files: it was refused; export the file again")
        else:
            m = _ROOT.match(text, i)
            if not m:
                raise MalformedRecordError(f"{path.name}: the XML's first element cannot be read; the file is corrupt")
            return m.group(2)
        if i < 0:
            raise MalformedRecordError(f"{path.name}: an XML comment or declaration is not closed; "
                                       "the file is corrupt")


def check_xml_size(path: Path, limit_mb: float) -> None:
    """Refuse an XML file larger than ``limit_mb`` MB: parsing holds it whole in memory, several times over."""
    size = path.stat().st_size
    if size > limit_mb * 1e6:
        raise RecordTooLargeError(f"{path.name}: the XML file holds {size / 1e6:,.4g} MB, more than the "
                                  f"{limit_mb:,.4g} MB limit for records; raise it with max_signal_mb= "
                                  "(--max-signal-mb) if the machine has the memory")


def parse_xml(path: Path, limit_mb: float):
    """The root element of the XML file at ``path``, parsed with defusedxml (no DTD, no entities)
    once its size is within ``limit_mb``; a file that is not well-formed XML is refused, named."""
    import xml.etree.ElementTree as ET

    import defusedxml.ElementTree as SafeET

    check_xml_size(path, limit_mb)
    try:
        return SafeET.parse(path, forbid_dtd=True).getroot()
    except ET.ParseError as e:
        raise MalformedRecordError(f"{path.name}: the XML is not well formed ({e}); the file is damaged or cut "
                                   "short: export it again") from None
