"""The shape of the house, checked: channels translate, the core decides, bootstrap composes.

- No module under ``channels/`` imports a database driver or an SQL adapter, calls
  ``decide()``, or reaches for the whole gateway; only a channel's command line opens it.
- The core (``src/eligibility_gw`` but its command line) imports no channel.
- ``domain/`` does no I/O: no aiohttp, no asyncio, no adapter.
- Only ``bootstrap`` chooses adapters.
"""

from __future__ import annotations

import ast
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = ROOT / "channels"
CORE = ROOT / "src" / "eligibility_gw"


def _modules(folder: Path) -> Iterator[Path]:
    yield from sorted(folder.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module name a file imports, at any depth (functions included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_issues_own_check_prints_nothing() -> None:
    """``grep -rE "import (sqlite3|aiosqlite|asyncpg)|adapters\\.(sqlite|postgres)|domain\\.decide
    import" channels/`` prints nothing."""
    pattern = (
        r"import (sqlite3|aiosqlite|asyncpg)|adapters\.(sqlite|postgres)|domain\.decide import"
    )
    found = subprocess.run(  # noqa: S603 (a fixed command over our own tree)
        ["grep", "-rE", pattern, str(CHANNELS)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.stdout == ""


@pytest.mark.parametrize("path", list(_modules(CHANNELS)), ids=_rel)
def test_a_channel_imports_no_adapter_driver_nor_the_rules(path: Path) -> None:
    forbidden = re.compile(
        r"^(sqlite3|aiosqlite|asyncpg|redis)(\.|$)"
        r"|^eligibility_gw\.adapters(\.|$)"
        r"|^eligibility_gw\.domain\.decide(\.|$)"
        r"|^eligibility_gw\.appkeys\.GATEWAY$"
    )
    bad = sorted(m for m in _imports(path) if forbidden.search(m))
    assert bad == [], f"{_rel(path)} imports {bad}"
    if path.name != "cli.py":  # a command line is an entry point: it may open the gateway
        roots = sorted(m for m in _imports(path) if m.startswith("eligibility_gw.bootstrap"))
        assert roots == [], f"{_rel(path)} imports the composition root"


@pytest.mark.parametrize(
    "path", [p for p in _modules(CORE) if "cli" not in p.relative_to(CORE).parts], ids=_rel
)
def test_the_core_imports_no_channel(path: Path) -> None:
    bad = sorted(m for m in _imports(path) if m.startswith("eligibility_gw.channels"))
    assert bad == [], f"{_rel(path)} imports {bad}"


@pytest.mark.parametrize(
    "path", list(_modules(CORE / "domain")) + list(_modules(CORE / "policy")), ids=_rel
)
def test_the_domain_and_the_policy_do_no_io(path: Path) -> None:
    forbidden = re.compile(
        r"^(aiohttp|asyncio|aiosqlite|sqlite3|asyncpg|redis|structlog)(\.|$)|adapters"
    )
    bad = sorted(m for m in _imports(path) if forbidden.search(m))
    assert bad == [], f"{_rel(path)} imports {bad}"


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in _modules(CORE)
        if p.name != "bootstrap.py" and "cli" not in p.relative_to(CORE).parts
    ],
    ids=_rel,
)
def test_only_bootstrap_chooses_adapters(path: Path) -> None:
    bad = sorted(m for m in _imports(path) if m.startswith("eligibility_gw.adapters"))
    assert bad == [], f"{_rel(path)} imports {bad}"
