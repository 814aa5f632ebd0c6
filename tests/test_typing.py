"""The typed API: mypy reads ask's reply type from Message[R], the compiled core's stub matches
the module (stubtest), and the package passes ``mypy --strict``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")

ROOT = Path(__file__).resolve().parent.parent
TYPING = Path(__file__).resolve().parent / "typing"


def mypy(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache), "--no-error-summary", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )


def expected_lines(path: Path) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        for kind, text in re.findall(r"# ([NE]): (.*?)(?=\s+# [NE]: |$)", line):
            out.setdefault(number, []).append(f"{'note' if kind == 'N' else 'error'}: {text.strip()}")
    return out


@pytest.mark.parametrize("name", sorted(p.name for p in TYPING.glob("*.py") if not p.name.startswith("pyright_")))
def test_reveal_types_and_expected_errors(name, tmp_path):
    path = TYPING / name
    done = mypy("--strict", "--show-error-codes", "--hide-error-context", str(path), cache=tmp_path)
    got: dict[int, list[str]] = {}
    for line in done.stdout.splitlines():
        match = re.match(rf".*{re.escape(name)}:(\d+): (note|error): (.*)", line)
        if match:
            got.setdefault(int(match.group(1)), []).append(f"{match.group(2)}: {match.group(3)}")
    assert got == expected_lines(path), done.stdout + done.stderr


def test_stub_matches_the_compiled_module(tmp_path):
    # Where the imported package lives: the tree (an editable install) or site-packages (a
    # wheel), so stubtest sees the same files that were imported.
    import airsrt._core

    inside = Path(airsrt._core.__file__).resolve().is_relative_to(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "airsrt._core", "--allowlist",
         str(ROOT / "stubtest-allowlist.txt"), "--mypy-config-file", str(ROOT / "pyproject.toml")],
        capture_output=True, text=True, cwd=ROOT if inside else tmp_path, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_package_passes_mypy_strict(tmp_path):
    done = mypy("--strict", "-p", "airsrt", cache=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("name", sorted(p.name for p in TYPING.glob("pyright_*.py")))
def test_pyright_agrees(name, tmp_path):
    """basedpyright (pyright, installable from PyPI with its own Node.js) on the same API."""
    if shutil.which("basedpyright") is None and not (Path(sys.executable).parent / "basedpyright").exists():
        pytest.skip("basedpyright is not installed")
    exe = shutil.which("basedpyright") or str(Path(sys.executable).parent / "basedpyright")
    config = tmp_path / "pyrightconfig.json"
    config.write_text(json.dumps({
        "typeCheckingMode": "standard", "pythonVersion": "3.11", "extraPaths": [str(ROOT)],
        "reportUnusedExpression": False,
    }))
    done = subprocess.run(
        [exe, "-p", str(config), str(TYPING / name)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
    )
    got: dict[int, list[str]] = {}
    for line in done.stdout.splitlines():
        match = re.match(rf".*{re.escape(name)}:(\d+):\d+ - (error|information): (.*)", line)
        if match:
            got.setdefault(int(match.group(1)), []).append(f"{match.group(2)}: {match.group(3)}")
    want: dict[int, list[str]] = {}
    for number, line in enumerate((TYPING / name).read_text().splitlines(), 1):
        if "# P: " in line:
            want[number] = [line.split("# P: ", 1)[1].strip()]
    assert {n: [g.split(" (report")[0] for g in v] for n, v in got.items()} == {
        n: [w.split(" (report")[0] for w in v] for n, v in want.items()
    }, done.stdout + done.stderr


def test_the_typed_replies_example_is_what_the_guide_says(tmp_path):
    """docs/guides/testing.md: mypy --strict accepts examples/typed_replies.py, wrong line and
    all; basedpyright reports exactly that line."""
    example = ROOT / "examples" / "typed_replies.py"
    done = mypy("--strict", str(example), cache=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    wrong = next(n for n, line in enumerate(example.read_text().splitlines(), 1) if "label: str" in line)
    if shutil.which("basedpyright") is None and not (Path(sys.executable).parent / "basedpyright").exists():
        pytest.skip("basedpyright is not installed")
    exe = shutil.which("basedpyright") or str(Path(sys.executable).parent / "basedpyright")
    config = tmp_path / "pyrightconfig.json"
    config.write_text(json.dumps({"typeCheckingMode": "standard", "pythonVersion": "3.11",
                                  "extraPaths": [str(ROOT)]}))
    done = subprocess.run([exe, "-p", str(config), str(example)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=600)
    errors = [line for line in done.stdout.splitlines() if " - error: " in line]
    assert len(errors) == 1 and f"typed_replies.py:{wrong}:" in errors[0], done.stdout
    assert 'Type "int" is not assignable to declared type "str"' in errors[0]
