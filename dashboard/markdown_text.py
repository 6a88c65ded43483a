"""Record text (lead names, comments, file names, messages that quote them) as plain text.

A record comes from anyone: a lead name such as ``![x](http://host/p.png)`` rendered as
Markdown would make the browser fetch that address, and break the promise that nothing
leaves the machine. So record text goes to ``st.text``/``st.code``/tables, or, where a
Streamlit element only takes Markdown (alerts, captions, spinners, widget labels), through
:func:`md_escape` first.
"""
from __future__ import annotations

import re

# CommonMark lets a backslash escape any ASCII punctuation character, and the escaped
# character is then always literal. Escaping all of them (not a hand-picked few) also
# covers Streamlit's own syntax: ``:red[...]`` directives, ``:material/...:`` icons and
# ``$...$`` LaTeX.
_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")


#: GitHub-style autolinks ("http://...", "www.", "a@b.c") are found in the text *after* the
#: Markdown is parsed, so escapes do not stop them; an invisible word joiner (U+2060) inside
#: the pattern does, and the text still reads the same.
_AUTOLINK = re.compile(r"(?i)(?<=https:)(?=//)|(?<=http:)(?=//)|(?<=www)(?=\.)|(?<=@)")
WORD_JOINER = "\u2060"


def md_escape(text: object) -> str:
    """``text`` as Markdown that renders literally: every ASCII punctuation character
    backslash-escaped, addresses kept from becoming links, line breaks kept as spaces
    (a message stays one paragraph)."""
    s = str(text).replace("\r", " ").replace("\n", " ")
    s = _AUTOLINK.sub(WORD_JOINER, s)
    return _PUNCT.sub(r"\\\1", s)

