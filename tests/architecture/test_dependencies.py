"""Each workspace member declares, in its own pyproject.toml, every distribution its code
imports: none leans on what another member happens to pull in (a service importing
sqlalchemy declares sqlalchemy, not just the service kit that also uses it)."""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = sorted(
    p.parent
    for pattern in ("contracts", "libs/*", "tools/*", "services/*")
    for p in ROOT.glob(f"{pattern}/pyproject.toml")
)
WORKSPACE_MODULES = {
    "dotmac_contracts": "dotmac-contracts",
    "servicekit": "dotmac-servicekit",
    "devstack": "dotmac-devstack",
}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(member: Path) -> set[str]:
    project = tomllib.loads((member / "pyproject.toml").read_text())["project"]
    return {
        normalized(re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0])
        for requirement in project.get("dependencies", [])
    }


def imported(source: Path) -> set[str]:
    """Top-level modules the package under `source` imports, its own and the standard
    library's left out."""
    own = {p.name for p in source.iterdir() if p.is_dir()}
    found: set[str] = set()
    for path in source.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - own - set(sys.stdlib_module_names) - {"__future__"}


def undeclared(member: Path) -> dict[str, list[str]]:
    """module -> the distributions that provide it, for each module imported but provided by
    no distribution the member declares."""
    providers = packages_distributions()
    wanted = declared(member)
    missing: dict[str, list[str]] = {}
    for module in sorted(imported(member / "src")):
        distributions = [WORKSPACE_MODULES[module]] if module in WORKSPACE_MODULES else []
        distributions = distributions or providers.get(module, [])
        if not {normalized(d) for d in distributions} & wanted:
            missing[module] = sorted(distributions) or ["(none installed)"]
    return missing


@pytest.mark.parametrize("member", MEMBERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_member_declares_what_it_imports(member: Path):
    missing = undeclared(member)
    assert not missing, (
        f"{member.relative_to(ROOT)}/pyproject.toml does not declare what provides "
        + ", ".join(f"{module} ({' or '.join(d)})" for module, d in missing.items())
    )


def test_an_undeclared_import_is_found(tmp_path: Path):
    member = tmp_path / "member"
    (member / "src" / "thing").mkdir(parents=True)
    (member / "pyproject.toml").write_text(
        '[project]\nname = "thing"\nversion = "0"\ndependencies = ["httpx>=0.27"]\n'
    )
    (member / "src" / "thing" / "code.py").write_text(
        "import json\nimport httpx\nfrom sqlalchemy import text\nfrom thing import code\n"
    )
    assert undeclared(member) == {"sqlalchemy": ["SQLAlchemy"]}
