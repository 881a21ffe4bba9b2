"""The layering rules, read from the source with `ast` (nothing is imported):

- `echome.bootstrap` is the composition root: only `cli/` and `app/` import it.
- Only the composition root (`bootstrap.py`, `cli/`, `app/`) reads `echome.settings.Settings`;
  every other module gets its values as constructor arguments.

Every import form counts: `import echome.bootstrap [as b]`, `from echome.bootstrap import X`,
`from echome import bootstrap`, relative imports that resolve to it, `importlib.import_module("...")`
and `__import__("...")` with a literal name, at module level, under `if TYPE_CHECKING:`, or inside a
function.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PACKAGE = SRC / "echome"

BOOTSTRAP = "echome.bootstrap"
SETTINGS = "echome.settings"
# Where the composition root lives (paths relative to the repository, `/` separated).
ROOT_MODULES = ("src/echome/bootstrap.py", "src/echome/cli/", "src/echome/app/")


@dataclass(frozen=True)
class Imported:
    """One module a file imports, fully qualified, and where."""

    module: str
    line: int


def module_name(path: str) -> tuple[str, bool]:
    """`src/echome/answer/x.py` -> ("echome.answer.x", False); an `__init__.py` is its package."""
    parts = Path(path).with_suffix("").parts
    parts = parts[parts.index("src") + 1 :] if "src" in parts else parts
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module an `ImportFrom` reads from (relative levels resolved)."""
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
    return ".".join([*base, node.module] if node.module else base)


def imports(source: str, path: str) -> Iterator[Imported]:
    """Every module `source` (the text of the file at `path`) imports, wherever the import is.

    `from P import name` yields both `P` and `P.name` (the name may be a submodule), so
    `from echome import bootstrap` is seen as importing `echome.bootstrap`."""
    module, is_package = module_name(path)
    for node in ast.walk(ast.parse(source, filename=path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Imported(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, module, is_package)
            yield Imported(base, node.lineno)
            for alias in node.names:
                if alias.name != "*":
                    yield Imported(f"{base}.{alias.name}" if base else alias.name, node.lineno)
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield Imported(first.value, node.lineno)


def _is_dynamic_import(func: ast.expr) -> bool:
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return name in ("import_module", "__import__")


def _is_or_under(name: str, target: str) -> bool:
    return name == target or name.startswith(target + ".")


def _report(path: str, lines: Iterator[int]) -> list[str]:
    return [f"{path}:{n}" for n in sorted(set(lines))]


def _exempt(path: str, extra: tuple[str, ...] = ()) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in (*ROOT_MODULES, *extra))


def bootstrap_violations(source: str, path: str) -> list[str]:
    """Rule (a): `path:line` of every import of `echome.bootstrap` outside the composition root."""
    if _exempt(path):
        return []
    return _report(path, (i.line for i in imports(source, path) if _is_or_under(i.module, BOOTSTRAP)))


def settings_violations(source: str, path: str) -> list[str]:
    """Rule (b): `path:line` of every import of `echome.settings` (so of `Settings`) outside the
    composition root and `settings.py` itself."""
    if _exempt(path, ("src/echome/settings.py",)):
        return []
    return _report(path, (i.line for i in imports(source, path) if _is_or_under(i.module, SETTINGS)))


def _sources() -> list[tuple[str, str]]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 50, f"expected the echome package under {PACKAGE}"
    return [(f.relative_to(ROOT).as_posix(), f.read_text(encoding="utf-8")) for f in files]


# -- the rules, over the whole package ------------------------------------------------------------
def test_only_cli_and_app_import_bootstrap() -> None:
    found = [v for path, text in _sources() for v in bootstrap_violations(text, path)]
    assert not found, (
        "echome.bootstrap is the composition root; only src/echome/cli/ and src/echome/app/ may "
        "import it. Pass what a module needs as constructor arguments instead:\n  " + "\n  ".join(found)
    )


def test_only_the_composition_root_reads_settings() -> None:
    found = [v for path, text in _sources() for v in settings_violations(text, path)]
    assert not found, (
        "only bootstrap.py, cli/ and app/ may import echome.settings (Settings); pass the values "
        "as constructor arguments instead:\n  " + "\n  ".join(found)
    )


# -- the checker itself can fail ------------------------------------------------------------------
FAKE = "src/echome/answer/x.py"


def _line_naming(word: str, source: str) -> int:
    """The (one) line of a sample that names the module: where its import is."""
    (line,) = [n for n, text in enumerate(source.splitlines(), start=1) if word in text]
    return line


BOOTSTRAP_FORMS = [
    "from echome.bootstrap import Services",
    "import echome.bootstrap",
    "import echome.bootstrap as b",
    "from echome import bootstrap",
    "from echome import lazy, bootstrap as b",
    "from .. import bootstrap",
    "from ..bootstrap import Services",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from echome.bootstrap import Services",
    "def f():\n    from echome.bootstrap import build_services\n    return build_services",
    "class C:\n    def m(self):\n        import echome.bootstrap",
    "try:\n    pass\nexcept ImportError:\n    from echome.bootstrap import Services",
    "import importlib\nimportlib.import_module('echome.bootstrap')",
    "__import__('echome.bootstrap')",
]


@pytest.mark.parametrize("source", BOOTSTRAP_FORMS)
def test_bootstrap_rule_reports_every_form(source: str) -> None:
    line = _line_naming("bootstrap", source)
    assert bootstrap_violations(source, FAKE) == [f"{FAKE}:{line}"]


SETTINGS_FORMS = [
    "from echome.settings import Settings",
    "from echome.settings import Settings as S",
    "import echome.settings",
    "from echome import settings",
    "from .. import settings",
    "from ..settings import Settings",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from echome.settings import Settings",
    "def f():\n    from echome.settings import Settings\n    return Settings()",
    "import importlib\nimportlib.import_module('echome.settings')",
]


@pytest.mark.parametrize("source", SETTINGS_FORMS)
def test_settings_rule_reports_every_form(source: str) -> None:
    line = _line_naming("settings", source)
    assert settings_violations(source, FAKE) == [f"{FAKE}:{line}"]


def test_relative_imports_resolve_from_a_package_init() -> None:
    # In src/echome/answer/__init__.py `.` is echome.answer, so `..` is echome.
    init = "src/echome/answer/__init__.py"
    assert bootstrap_violations("from .. import bootstrap", init) == [f"{init}:1"]
    assert bootstrap_violations("from . import bootstrap", init) == []  # echome.answer.bootstrap
    assert settings_violations("from ..settings import Settings", init) == [f"{init}:1"]


def test_lookalikes_and_allowed_places_are_not_reported() -> None:
    harmless = "\n".join(
        [
            "import echome.bootstrapping",
            "from echome.settings_help import x",
            "from echome.lazy import Lazy",
            "from pydantic_settings import BaseSettings",
            "from .bootstrap import Services",  # echome.answer.bootstrap
            "bootstrap = 'echome.bootstrap'",
        ]
    )
    assert bootstrap_violations(harmless, FAKE) == []
    assert settings_violations(harmless, FAKE) == []
    direct = "from echome.bootstrap import Services\nfrom echome.settings import Settings"
    for allowed in ("src/echome/cli/common.py", "src/echome/app/main.py", "src/echome/bootstrap.py"):
        assert bootstrap_violations(direct, allowed) == []
        assert settings_violations(direct, allowed) == []
    assert settings_violations(direct, "src/echome/settings.py") == []
    assert bootstrap_violations(direct, "src/echome/settings.py") == ["src/echome/settings.py:1"]
    # A file merely named like an exempt folder is not exempt.
    assert bootstrap_violations(direct, "src/echome/cli.py") == ["src/echome/cli.py:1"]


def test_messages_list_every_offending_line() -> None:
    head = "import os\nfrom echome.bootstrap import Services\n"
    source = head + "\n" * 7 + "def f():\n    import echome.bootstrap\n"  # lines 2 and 11
    assert bootstrap_violations(source, FAKE) == [f"{FAKE}:2", f"{FAKE}:11"]
