"""Dependencies point one way: ingest -> bot.index <- the rest of bot. Walks every import (also those inside
functions) and fails on a violation."""
import ast
from pathlib import Path

from helpers import REPO

SHARED = ("bot.index", "bot.settings", "bot.errors")  # what ingest and the index may use of bot


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.py"))


def violations(folder: str, allowed) -> list[str]:
    return [f"{path.relative_to(REPO)} imports {name}" for path in modules(folder) for name in imports_of(path)
            if not allowed(name)]


def within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_ingest_uses_only_the_shared_part_of_bot():
    assert violations("ingest", lambda n: not within(n, ("bot",)) or within(n, SHARED)) == []


def test_the_index_package_depends_on_nothing_else_in_bot_or_ingest():
    assert violations("bot/index", lambda n: not within(n, ("bot", "ingest")) or within(n, SHARED)) == []


def test_bot_never_imports_ingest():
    assert violations("bot", lambda n: not within(n, ("ingest",))) == []
    assert not within("ingest.pipeline", ("bot",))  # the helper itself tells packages apart
    assert all(not within(n, ("ingest",)) for n in imports_of(REPO / "app.py"))


def test_the_walk_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from ingest.pipeline import ingest_corpus\n")
    assert "ingest.pipeline" in imports_of(module)
