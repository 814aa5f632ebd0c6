"""Every example in examples/ runs, exits by itself and prints exactly the output the docs show.

The docs include each example's source and its recorded output (`examples/output/`), both
with `--8<--`, so neither can drift from what the example does: the output is compared here,
line for line. After changing an example on purpose, record its output again with

    AIRSRT_RECORD_EXAMPLES=1 python -m pytest tests/test_examples.py
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
OUTPUT = EXAMPLES / "output"
DOCS = ROOT / "docs"
RECORD = os.environ.get("AIRSRT_RECORD_EXAMPLES") == "1"

# The cluster examples need Ray: tests/cluster/test_example.py runs them in the Ray suite.
RAY_EXAMPLES = {"cluster.py", "cluster_actors.py"}

SCRIPTS = sorted(
    p.relative_to(EXAMPLES).as_posix()
    for p in EXAMPLES.rglob("*.py")
    if OUTPUT not in p.parents and "__pycache__" not in p.parts and p.name not in RAY_EXAMPLES
)

# pytest's own summary says how long the run took (and pads its banner to fit): the one
# thing allowed to differ.
DURATION = re.compile(r" in \d+(\.\d+)?s\b")
BANNER = re.compile(r"^=+ (.*?) =+$")


def output_file(script: str) -> Path:
    return OUTPUT / Path(script).with_suffix(".txt")


def normalized(text: str) -> list[str]:
    lines = (BANNER.sub(r"\1", line.rstrip()) for line in text.strip().splitlines())
    return [DURATION.sub(" in <seconds>s", line) for line in lines]


@pytest.mark.parametrize("name", SCRIPTS)
def test_example_runs_and_prints_its_recorded_output(name):
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    recorded = output_file(name)
    if RECORD:
        recorded.parent.mkdir(parents=True, exist_ok=True)
        recorded.write_text(done.stdout.rstrip() + "\n", encoding="utf-8")
    assert recorded.is_file(), f"{name} has no recorded output; record it (see the module doc)"
    expected = normalized(recorded.read_text(encoding="utf-8"))
    assert normalized(done.stdout) == expected, (
        f"{name} printed something else than {recorded.relative_to(ROOT)} (which the docs "
        f"show):\n{done.stdout}"
    )


def test_every_recorded_output_belongs_to_an_example():
    scripts = {output_file(name) for name in SCRIPTS} | {output_file(n) for n in RAY_EXAMPLES}
    stale = [p.relative_to(ROOT) for p in OUTPUT.rglob("*.txt") if p not in scripts]
    assert not stale, f"recorded outputs without an example: {stale}"


def test_readme_quick_start_is_the_example():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```python\n", 1)[1].split("```", 1)[0]
    example = (EXAMPLES / "quickstart.py").read_text()
    body = [line.strip() for line in block.splitlines() if line.strip()]
    for line in body:
        if line.startswith("airsrt.run(") or line.startswith('"""'):
            continue
        assert line.split("#")[0].strip() in example, f"README line not in the example: {line}"


INCLUDE = re.compile(r'--8<-- "([^"]+)"')


def _pages():
    return [p for p in DOCS.rglob("*.md") if "_snippets" not in p.parts]


def test_every_code_sample_in_the_docs_is_an_example_file():
    """The docs include examples/*.py (which the tests above run) instead of inline code."""
    for page in _pages():
        for block in page.read_text().split("```python\n")[1:]:
            body = block.split("```", 1)[0].strip()
            assert body.startswith('--8<-- "examples/') and "\n" not in body, (
                f"{page.relative_to(DOCS)} has an inline python sample; put it in examples/"
            )
            path = body.split('"')[1].split(":", 1)[0]
            assert (ROOT / path).is_file(), f"{page.relative_to(DOCS)} includes missing {path}"


def test_every_page_that_shows_an_example_shows_its_output():
    missing = []
    for page in _pages():
        included = {m.split(":", 1)[0] for m in INCLUDE.findall(page.read_text())}
        for path in sorted(p for p in included if p.endswith(".py")):
            script = Path(path).relative_to("examples").as_posix()
            shown = output_file(script).relative_to(ROOT).as_posix()
            if shown not in included:
                missing.append(f"{page.relative_to(DOCS)}: {path} without {shown}")
    assert not missing, "pages showing an example but not what it prints:\n" + "\n".join(missing)
