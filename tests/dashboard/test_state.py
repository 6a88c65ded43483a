"""Every session-state key the dashboard uses is listed, with what it holds, in dashboard/state.py
(and every key listed there is used): read from the source, nothing is run."""
from __future__ import annotations

import ast
from pathlib import Path

from dashboard import state

ROOT = Path(__file__).resolve().parents[2]
#: Names the dashboard gives ``st.session_state`` when it passes it on.
STATE_NAMES = {"state"}


def _is_session_state(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "session_state") or \
        (isinstance(node, ast.Name) and node.id in STATE_NAMES)


def _key(node: ast.AST) -> str | None:
    """A key written as a string, or as an f-string "<something>_suffix" (a derived key)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and isinstance(node.values[-1], ast.Constant):
        return "<key>" + node.values[-1].value
    return None


def keys_used() -> dict[str, set[str]]:
    """{key: files} for every ``st.session_state[key]`` and ``.get/.pop/.setdefault(key)`` in dashboard/."""
    used: dict[str, set[str]] = {}
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            key = None
            if isinstance(node, ast.Subscript) and _is_session_state(node.value):
                key = _key(node.slice)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args \
                    and node.func.attr in ("get", "pop", "setdefault") and _is_session_state(node.func.value):
                key = _key(node.args[0])
            if key:
                used.setdefault(key, set()).add(str(path.relative_to(ROOT)))
    return used


def test_every_session_state_key_is_listed():
    used = keys_used()
    assert "analysis" in used and "<key>_applied" in used  # the scan finds keys
    unlisted = {k: sorted(f) for k, f in used.items() if k not in state.KEYS and k not in state.DERIVED}
    assert not unlisted, f"list these in dashboard/state.py: {unlisted}"


def test_every_key_listed_is_used():
    text = "\n".join(p.read_text() for p in (ROOT / "dashboard").rglob("*.py") if p.name != "state.py")
    stale = [k for k in state.KEYS if f'"{k}"' not in text]
    assert not stale, f"no longer used, drop from dashboard/state.py: {stale}"
    assert all(len(text) > 20 for text in list(state.KEYS.values()) + list(state.DERIVED.values()))
