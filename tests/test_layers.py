"""The layer direction of DESIGN.md is enforced: `lint-imports` (import-linter) must pass.

The contracts live in `.importlinter` at the repository root. This test also checks that
every top-level module of omendb_server is named in the layers contract, so a new module
cannot sit outside it unnoticed.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".importlinter"


def _lint_imports() -> list[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("lint-imports")
    assert found, "lint-imports not installed (pip install -e '.[test]')"
    return [found]


def test_import_layers_contracts_hold():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        _lint_imports() + ["--config", str(CONFIG), "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 0, f"lint-imports failed:\n{proc.stdout}\n{proc.stderr}"
    assert "broken" not in proc.stdout.lower().replace("0 broken", ""), proc.stdout


def _declared_layer_modules() -> set[str]:
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    declared: set[str] = set()
    for section in parser.sections():
        if parser.get(section, "type", fallback="") == "layers":
            for line in parser.get(section, "layers").splitlines():
                for name in re.split(r"[|:]", line):
                    name = name.strip().strip("()").strip()
                    if name:
                        declared.add(name)
    return declared


def test_every_top_level_module_is_in_a_layer():
    package = ROOT / "omendb_server"
    declared = _declared_layer_modules()
    modules = set()
    for child in package.iterdir():
        if child.is_dir() and (child / "__init__.py").exists():
            modules.add(f"omendb_server.{child.name}")
        elif child.suffix == ".py" and child.name != "__init__.py":
            modules.add(f"omendb_server.{child.stem}")
    missing = sorted(modules - declared)
    assert not missing, f"add these modules to a layer in .importlinter: {missing}"
