"""The import graph runs one way: core ← accounts ← api ← sites ← missions ← billing ← operations, with
notifications beside them (every app may use it; it uses none of them). A module may import its own app and
the apps below it, never one above: no cycle between apps can form. Runtime code imports nothing from
django.test or tests/. Read from the source (AST), so a lazy import inside a function counts too."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. An app may import the apps before it in this list (and notifications, and core).
LAYERS = ["core", "accounts", "api", "directory", "sites", "missions", "billing", "demarches", "prosante", "planning", "installation", "operations"]  # fmt: skip
APPS = {*LAYERS, "notifications"}
# Wiring that assembles the whole site: it may import any app (no app imports it).
TOP = {"config.settings", "config.urls", "config.celery", "config.wsgi", "config.asgi", "api.urls"}
# Known exceptions, each with its reason; this list only shrinks.
ALLOWED = {
    # The doctor's earnings page shows billing's figures under the doctor's space (URL name missions:…).
    ("missions.views.doctor", "billing.queries"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_modules() -> list[Path]:
    """Every module that runs in production: the apps and config (not tests/, not the bench tool)."""
    return sorted(
        path for folder in [*APPS, "config"] for path in (ROOT / folder).rglob("*.py") if "migrations" not in path.parts
    )


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def may_import(importer: str, imported: str) -> bool:
    own, other = importer.split(".")[0], imported.split(".")[0]
    if other not in APPS or own == other or importer in TOP or own == "config":
        return True
    if (importer, imported) in ALLOWED or any(imported.startswith(f"{b}.") for a, b in ALLOWED if a == importer):
        return True
    if other in ("core", "notifications"):
        return own != "core"  # core imports no app
    if own in ("core", "notifications"):
        return False
    return LAYERS.index(other) < LAYERS.index(own)


def test_no_module_imports_an_app_above_its_own():
    wrong = [
        f"{module_name(path)} imports {imported}"
        for path in runtime_modules()
        for imported in sorted(imports_of(path))
        if not may_import(module_name(path), imported)
    ]
    assert wrong == []


def test_no_app_imports_operations_and_only_wiring_imports_config_settings_or_urls():
    wrong = [
        f"{module_name(path)} imports {imported}"
        for path in runtime_modules()
        for imported in sorted(imports_of(path))
        if module_name(path) not in TOP
        and not module_name(path).startswith("operations")
        and (imported.startswith("operations") or imported in {"config.settings", "config.urls", "api.urls"})
    ]
    assert wrong == []


def test_runtime_code_imports_nothing_from_django_test_or_the_tests():
    wrong = [
        f"{module_name(path)} imports {imported}"
        for path in [*runtime_modules(), *sorted((ROOT / "bench").rglob("*.py"))]
        for imported in sorted(imports_of(path))
        if imported.split(".")[0] == "tests" or imported == "django.test" or imported.startswith("django.test.")
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("importer", "imported", "allowed"),
    [
        ("billing.api", "missions.models", True),
        ("missions.models", "billing.models", False),
        ("sites.services", "operations.jobs", False),
        ("notifications.outbox", "accounts.models", False),
        ("core.errors", "notifications.models", False),
        ("accounts.forms", "notifications.outbox", True),
        ("api.urls", "billing.api", True),
        ("api.errors", "sites.models", False),
    ],
)
def test_the_rule_itself(importer, imported, allowed):
    assert may_import(importer, imported) is allowed
