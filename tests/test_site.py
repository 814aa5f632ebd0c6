"""The documentation site, checked as built: every public name has a reference entry, no raw
markup reaches a page, and the tables generated from the code still match it.

The site is built once (``mkdocs build --strict``) into a temporary directory. Without the docs
extra (``pip install -e ".[docs]"``) the tests that need the built site are skipped; CI installs
the extra and runs them.
"""

from __future__ import annotations

import enum
import html
import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import airsrt
import airsrt.testing
import airsrt.testing.plugin
from airsrt import _core

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# Where a name belongs, by the private module that defines it; a failure message points there.
PAGE_OF_MODULE = {
    "airsrt._actor": "reference/actors.md",
    "airsrt._messages": "reference/actors.md",
    "airsrt._timers": "reference/actors.md",
    "airsrt._core": "reference/refs.md",
    "airsrt._system": "reference/system.md",
    "airsrt._mailbox": "reference/mailboxes.md",
    "airsrt._supervisor": "reference/supervision.md",
    "airsrt._strategies": "reference/supervision.md",
    "airsrt._guardian": "reference/supervision.md",
    "airsrt._health": "reference/supervision.md",
    "airsrt._broker": "reference/broker.md",
    "airsrt._pools": "reference/broker.md",
    "airsrt._monitoring": "reference/monitoring.md",
    "airsrt._errors": "reference/errors.md",
    "airsrt._snapshot": "reference/observer.md",
    "airsrt._stats": "reference/monitoring.md",
}

# Public-looking members that are not part of the user's API, and why they are not rendered.
INTERNAL = {
    # Helpers the Python modules call on the compiled ref (error builders, stats pieces).
    "ActorRef.basic_stats": "stats() without the latency summary",
    "ActorRef.state_name": "part of stats() and repr()",
    "ActorRef.display_name_for": "naming while an actor is built",
    "ActorRef.unhandled_error": "error builder",
    "ActorRef.unhandled_type_error": "error builder",
    "ActorRef.deadlock_error": "error builder",
    "ActorRef.stopped_error": "error builder",
    "ActorRef.mailbox_full_error": "error builder",
    # The compiled runtime's hooks and raw counters (system.stats() reports the counters).
    "ActorSystem.emit": "event hook of the core",
    "ActorSystem.tally": "event hook of the core",
    "ActorSystem.event_threshold": "set by the event stream from its subscribers",
    # The protocol between the system and the supervisor of top-level actors.
    "Guardian.child_failed": "called by the system",
    "Guardian.start_failed": "called by the system",
    "Guardian.child_exiting": "called by the system",
    "Guardian.child_stopped": "called by the system",
    "Guardian.child_grace": "called by the system",
    "Guardian.start_ignored": "called by the system",
}
INTERNAL_PREFIXES = ("ActorSystem.n_",)


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    docs_extra = (
        "mkdocs", "material", "mkdocstrings_handlers.python", "griffe_inherited_docstrings"
    )
    for needed in docs_extra:
        if not _has(needed):
            pytest.skip(f"{needed} is not installed: pip install -e '.[docs]' (CI installs it)")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr[-4000:]}"
    return out


def _ids(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def reference_ids(site: Path) -> set[str]:
    ids: set[str] = set()
    for page in (site / "reference").rglob("*.html"):
        ids |= _ids(page)
    return ids


def _public_names() -> list[tuple[str, object]]:
    names = [(f"airsrt.{n}", getattr(airsrt, n)) for n in airsrt.__all__]
    names += [(f"airsrt.testing.{n}", getattr(airsrt.testing, n)) for n in airsrt.testing.__all__]
    return names


def _page_for(obj: object) -> str:
    module = getattr(obj, "__module__", "") or ""
    if module.startswith("airsrt.testing"):
        return "reference/testing.md"
    return PAGE_OF_MODULE.get(module, "the reference page of its area")


def test_every_public_name_has_a_reference_entry(reference_ids: set[str]) -> None:
    missing = [
        f"{path} (add '::: {path}' to docs/{_page_for(obj)})"
        for path, obj in _public_names()
        if path not in reference_ids
    ]
    assert not missing, "public names without a reference entry:\n" + "\n".join(missing)


def _compiled_private_bases(cls: type) -> list[type]:
    """Bases defined in the compiled core that are not public themselves (Runtime,
    BrokerCore): their members are the public class's own, so the reference renders them."""
    public = {obj for _, obj in _public_names()}
    return [b for b in cls.__mro__[1:] if b.__module__ == "airsrt._core" and b not in public]


def _is_member_api(value: object) -> bool:
    """Methods and properties (compiled ones too). Slots of records (`member_descriptor`) are
    data fields, documented in their class's Attributes section."""
    if isinstance(value, (staticmethod, classmethod, property)):
        return True
    kind = type(value).__name__
    return inspect.isfunction(value) or kind in (
        "method_descriptor",
        "getset_descriptor",
        "cython_function_or_method",
        "builtin_function_or_method",
    )


def _public_members(cls: type) -> list[str]:
    names: list[str] = []
    for owner in (cls, *_compiled_private_bases(cls)):
        for name, value in vars(owner).items():
            if name.startswith("_") or name in names:
                continue
            if isinstance(cls, enum.EnumMeta) and name in cls.__members__:
                continue
            if _is_member_api(value):
                names.append(name)
    return names


def test_every_public_method_has_a_reference_entry(reference_ids: set[str]) -> None:
    missing = []
    for path, obj in _public_names():
        if not isinstance(obj, type):
            continue
        bases = [
            p for p, o in _public_names()
            if isinstance(o, type) and o is not obj and issubclass(obj, o)
        ]
        for member in _public_members(obj):
            key = f"{obj.__name__}.{member}"
            if key in INTERNAL or key.startswith(INTERNAL_PREFIXES):
                continue
            # An override is documented where its base declares it (Strategy.affected).
            if f"{path}.{member}" in reference_ids or any(
                f"{base}.{member}" in reference_ids for base in bases
            ):
                continue
            missing.append(f"{path}.{member} (docs/{_page_for(obj)})")
    assert not missing, (
        "public members without a reference entry (a member without a docstring is not "
        "rendered; an explicit `members:` list must name it; one that is not for users goes "
        "in INTERNAL above, with the reason):\n" + "\n".join(missing)
    )


def test_fixtures_and_markers_are_documented(reference_ids: set[str]) -> None:
    plugin = airsrt.testing.plugin
    fixtures = [
        name for name, value in vars(plugin).items()
        if type(value).__name__ == "FixtureFunctionDefinition"
        or hasattr(value, "_pytestfixturefunction")
    ]
    assert fixtures, "found no fixtures in airsrt.testing.plugin"

    class Plugins:
        def has_plugin(self, name: str) -> bool:
            return False

    class Config:
        markers: list[str] = []
        pluginmanager = Plugins()

        def addinivalue_line(self, name: str, line: str) -> None:
            self.markers.append(line.split(":", 1)[0].split("(", 1)[0].strip())

    config = Config()
    plugin.pytest_configure(config)  # type: ignore[arg-type]
    missing = [
        f"fixture {f}" for f in fixtures if f"airsrt.testing.plugin.{f}" not in reference_ids
    ]
    missing += [f"marker {m}" for m in config.markers if f"marker-{m}" not in reference_ids]
    assert not missing, "undocumented in docs/reference/testing.md: " + ", ".join(missing)


# What must never reach a reader as text: Sphinx roles, reST directives and literal-block
# markers, doubled backticks, and Markdown that was not rendered.
RAW_MARKUP = [
    (re.compile(r":(?:py:)?(?:meth|class|func|attr|exc|mod|data|obj|ref|const):`"), "Sphinx role"),
    (re.compile(r"``"), "doubled backticks"),
    (re.compile(r"`"), "a backtick (unrendered code span)"),
    (re.compile(r"(?m)\S::\s*$"), "reST literal-block marker"),
    (re.compile(r"(?m)^\s*\.\. [a-z-]+::"), "reST directive"),
    (re.compile(r"\]\[[\w.]*\]"), "unresolved cross-reference"),
]


def _visible_text(page: str) -> str:
    body = page.split('<article', 1)[-1].split("</article>", 1)[0]
    body = re.sub(r"(?s)<(pre|code|script|style)\b.*?</\1>", " ", body)
    body = re.sub(r"(?s)<[^>]+>", "", body)
    return html.unescape(body)


def test_no_raw_markup_reaches_a_page(site: Path) -> None:
    found = []
    for page in sorted(site.rglob("*.html")):
        text = _visible_text(page.read_text(encoding="utf-8"))
        for pattern, what in RAW_MARKUP:
            for match in pattern.finditer(text):
                start = max(match.start() - 50, 0)
                context = text[start : match.end() + 30].replace("\n", " ")
                found.append(f"{page.relative_to(site)}: {what}: ...{context}...")
    assert not found, "raw markup in the built site:\n" + "\n".join(found[:40])


def _table_rows(markdown: str) -> list[list[str]]:
    rows = []
    for line in markdown.splitlines():
        if line.startswith("|") and not set(line) <= set("|-: "):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[1:]  # without the header


def test_event_kinds_table_matches_the_core() -> None:
    table = (DOCS / "_snippets" / "event-kinds.md").read_text(encoding="utf-8")
    documented = {row[0].strip("`"): row[1] for row in _table_rows(table)}
    actual = {kind: airsrt.Severity(sev).name for kind, sev in _core.EVENT_KINDS}
    assert documented == actual, (
        "docs/_snippets/event-kinds.md does not match airsrt._core.EVENT_KINDS: "
        f"missing {sorted(actual.keys() - documented.keys())}, "
        f"unknown {sorted(documented.keys() - actual.keys())}, "
        "severity differs for "
        f"{sorted(k for k in actual if documented.get(k, actual[k]) != actual[k])}"
    )


def test_example_lines_fit_the_page() -> None:
    """Code blocks on the site show 88 characters without scrolling; examples stay within."""
    long = []
    for path in sorted((ROOT / "examples").rglob("*")):
        if path.suffix not in (".py", ".txt") or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if len(line) > 88:
                long.append(f"{path.relative_to(ROOT)}:{number}: {len(line)} characters")
    assert not long, "lines longer than 88 characters:\n" + "\n".join(long)

