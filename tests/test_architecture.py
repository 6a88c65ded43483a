"""The house rules, read from the source (ast; nothing is imported): imports flow one way
through the stages, no circle, no import of another module's ``_private`` name, no module over
400 lines, at most five modules at the package root, and a test for every module.

The stages, in the order data flows (docs/architecture.md says what each holds):
io -> signal -> beats -> (classifier, rhythm) -> findings -> analyze -> (report, evaluation, batch,
explain, review) -> commands -> dashboard. A module may import its own stage and the stages before
it. Siblings (classifier and rhythm; report, evaluation, batch, explain and review) do not import
each other.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ecg_lstm", "dashboard", "data_scripts")
#: Stage of each top-level part, by rank; equal ranks are siblings. Below 1 is what every stage
#: shares (the error types, the project's paths, safe weight loading).
RANK = {
    "ecg_lstm.errors": 0, "ecg_lstm.paths": 0, "ecg_lstm.weights": 0.5,
    "ecg_lstm.io": 1, "data_scripts": 1,
    "ecg_lstm.signal": 2,
    "ecg_lstm.beats": 3,
    "ecg_lstm.classifier": 4, "ecg_lstm.rhythm": 4,
    "ecg_lstm.findings": 5,
    "ecg_lstm.analyze": 6, "ecg_lstm.saved_analysis": 6.5,
    "ecg_lstm.report": 7, "ecg_lstm.evaluation": 7, "ecg_lstm.batch": 7, "ecg_lstm.explain": 7,
    "ecg_lstm.review": 7,
    "ecg_lstm.studies": 7.5,
    "ecg_lstm.commands": 8, "ecg_lstm.__main__": 8.5,
    "dashboard": 9,
}
MAX_LINES = 400
MAX_ROOT_MODULES = 5


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


FILES = {p: _module(p) for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}
MODULES = set(FILES.values())


def _stage(module: str) -> str | None:
    """The RANK key ``module`` belongs to (None: the package ``ecg_lstm`` itself)."""
    return next((k for k in sorted(RANK, key=len, reverse=True) if module == k or module.startswith(k + ".")), None)


def _imports(path: Path) -> list[tuple[str, str | None, int]]:
    """(imported project module, imported name or None, line) for every import in ``path``,
    module-level and inside functions alike."""
    me = FILES[path].split(".")
    package = me if path.name == "__init__.py" else me[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            for a in node.names:
                full = f"{base}.{a.name}"
                out.append((full, None, node.lineno) if full in MODULES else (base, a.name, node.lineno))
    result = []
    for target, name, line in out:
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        if target and target != FILES[path]:
            result.append((target, name, line))
    return result


GRAPH = {FILES[p]: {t for t, _, _ in _imports(p)} for p in FILES}


def test_imports_flow_one_way_through_the_stages():
    upward = []
    for path, me in FILES.items():
        mine = _stage(me)
        for target, _, line in _imports(path):
            theirs = _stage(target)
            if mine is None or theirs is None or theirs == mine:
                continue
            if RANK[theirs] >= RANK[mine]:
                upward.append(f"{path.relative_to(ROOT)}:{line} ({mine}) imports {target} ({theirs})")
    assert not upward, "imports against the flow of the stages:\n" + "\n".join(upward)


def test_no_import_circles():
    index, low, stack, on, circles = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while (w := stack.pop()) != v:
                comp.append(w)
                on.discard(w)
            on.discard(v)
            comp.append(v)
            # a package's __init__ re-exporting its own modules is not a circle of design
            if len(comp) > 1 and not all(any(o.startswith(m + ".") or m.startswith(o + ".")
                                             for o in comp if o != m) for m in comp):
                circles.append(" <-> ".join(sorted(comp)))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not circles, "import circles:\n" + "\n".join(circles)


def test_no_import_of_another_modules_private_names():
    private = [f"{path.relative_to(ROOT)}:{line} imports {target}.{name}"
               for path in FILES for target, name, line in _imports(path)
               if name and name.startswith("_") and not name.startswith("__")]
    assert not private, "\n".join(private)


def test_the_library_never_imports_the_dashboard_or_streamlit():
    bad = [f"{path.relative_to(ROOT)}:{line} imports {target}"
           for path, me in FILES.items() if me.startswith("ecg_lstm")
           for target, _, line in _imports(path) if target.startswith("dashboard")]
    for path, me in FILES.items():
        if me.startswith("ecg_lstm"):
            tree = ast.parse(path.read_text())
            bad += [f"{path.relative_to(ROOT)}:{n.lineno} imports streamlit" for n in ast.walk(tree)
                    if isinstance(n, (ast.Import, ast.ImportFrom))
                    and any((getattr(n, "module", None) or a.name).split(".")[0] == "streamlit" for a in n.names)]
    assert not bad, "\n".join(bad)


def test_every_module_belongs_to_a_stage():
    assert [m for m in MODULES if m != "ecg_lstm" and _stage(m) is None] == []


def test_no_module_over_400_lines_and_few_root_modules():
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in FILES if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not long, "split these by concern:\n" + "\n".join(long)
    root = sorted(p.name for p in (ROOT / "ecg_lstm").glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert len(root) <= MAX_ROOT_MODULES, root


@pytest.mark.parametrize("package", sorted(m for m in MODULES if m.startswith("ecg_lstm")
                                           and (ROOT / m.replace(".", "/") / "__init__.py").exists()))
def test_each_package_lists_its_public_names(package):
    """Each package of the library has a docstring saying what it holds; one that re-exports names
    lists them in ``__all__`` (wfdb-python's convention)."""
    init = ROOT / package.replace(".", "/") / "__init__.py"
    tree = ast.parse(init.read_text())
    assert ast.get_docstring(tree), f"{init.relative_to(ROOT)} has no docstring"
    exported = [n for n in tree.body if isinstance(n, ast.ImportFrom)]
    if exported:
        assert any(isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in n.targets)
                   for n in tree.body), f"{init.relative_to(ROOT)} re-exports names but has no __all__"


def test_every_module_has_a_test():
    """Every module of the library and the dashboard is named by at least one test file (imported,
    or started as ``python -m``)."""
    text = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("*.py"))
    untested = []
    for m in sorted(MODULES):
        if m.split(".")[-1] in ("__main__",) or m in PACKAGES:
            continue
        parent, _, leaf = m.rpartition(".")
        if m not in text and f"from {parent} import {leaf}" not in text and not (
                f"from {parent} import" in text and f" {leaf}," in text):
            untested.append(m)
    assert not untested, "modules no test names:\n" + "\n".join(untested)
