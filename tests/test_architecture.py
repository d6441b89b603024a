"""The one-way architecture, checked on the source (every import, lazy ones included):
``app`` -> ``webui`` -> ``rag``; ``ingest`` -> ``rag``; ``rag`` never imports ``ingest``,
``webui`` or ``app``; only ``webui`` imports gradio; no import cycle between modules.

The same check from a shell: ``python -m pytest -q tests/test_architecture.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("rag", "ingest", "webui")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {"app": ROOT / "app.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """Every module this file imports (inside functions and TYPE_CHECKING too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in modules else base)
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, name, modules) for name, path in modules.items()}


def _top(module: str) -> str:
    return module.split(".")[0]


def test_rag_imports_neither_ingest_nor_the_ui(graph: dict[str, set[str]]) -> None:
    bad = sorted(
        (mod, dep)
        for mod, deps in graph.items()
        if _top(mod) == "rag"
        for dep in deps
        if _top(dep) in {"ingest", "webui", "app", "gradio"}
    )
    assert bad == []


def test_ingest_imports_no_ui(graph: dict[str, set[str]]) -> None:
    bad = sorted(
        (mod, dep)
        for mod, deps in graph.items()
        if _top(mod) == "ingest"
        for dep in deps
        if _top(dep) in {"webui", "app", "gradio"}
    )
    assert bad == []


def test_only_webui_imports_gradio(graph: dict[str, set[str]]) -> None:
    users = sorted(m for m, deps in graph.items() if any(_top(d) == "gradio" for d in deps))
    assert users and all(_top(m) == "webui" for m in users), users


def test_no_import_cycle(graph: dict[str, set[str]]) -> None:
    local = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(local[node]):
            if state.get(dep) == 1:
                cycles.append([*path[path.index(dep) :], dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for module in sorted(local):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_check_sees_lazy_imports(tmp_path: Path) -> None:
    """An import inside a function counts: that is how the old rag -> ingest cycle hid."""
    src = tmp_path / "mod.py"
    src.write_text("def f():\n    from ingest.sync import sync_index\n", encoding="utf-8")
    assert "ingest.sync" in _imports(src, "rag.mod", {"ingest.sync": src})
