"""Every example in examples/ runs and prints what it says it prints."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# Lines each example must print (in this order, among others).
EXPECTED = {
    "quickstart.py": ["15"],
    "supervision_tree.py": [
        "before: {'pool': 1, 'cache': 1, 'api': 1}",
        "  stop  pool",
        "  stop  cache",
        "  start pool (incarnation 2)",
        "  start cache (incarnation 2)",
        "pool ran 'select 1'",
        "after:  {'pool': 2, 'cache': 2, 'api': 1}",
        "  stop  api",
        "done",
    ],
    "pubsub.py": [
        "publish prices.eu.AIR: 3 deliveries",
        "publish prices.us.BA: 1 deliveries",
        "publish prices.eu.SAF: 2 deliveries",
        "trader got a quote: SAF at 160.25",
        "trader saw: ['prices.eu.AIR=101.5', 'prices.eu.SAF=160.25']",
        "audit saw: ['AIR']",
    ],
    "backpressure.py": [
        "BLOCK handled 20 of 20",
        "FAIL refused 16 handled 4",
        "DROP_OLDEST kept [16, 17, 18, 19]",
        "dead letters: 16",
    ],
    "monitoring.py": [
        "answer: 2",
        "events: ['actor.failed', 'actor.stopped']",
        "orders processed 4 failed 1",
        "sent 4 handled 4",
    ],
    "threads.py": ["total: 4000", "largest answer seen by a thread: 4000"],
    "testing_supervised.py": [],  # runs pytest on itself; the exit status says it passed  # runs pytest on itself: the return code says it passed
    "dynamic_supervisor.py": [
        "[eu] ann #1: hello",
        "banned user: None",
        "count: {'specs': 2, 'active': 2, 'supervisors': 0, 'workers': 2}",
        "bob's spec: Session ('eu', 'bob') TRANSIENT",
        "refused: sessions already has 3 children (max_children=3); Session('dan') was not "
        "started (wait for some to stop, terminate some, or raise max_children)",
        "ann crashed: empty message",
        "[eu] ann #1: back",
        "left: [eu] cid #1: still here",
        "done",
    ],
    "declining_to_start.py": [
        "  search: switched off, declining to start",
        "children: [('api', 'running'), ('search', 'terminated')]",
        "count: {'specs': 2, 'active': 1, 'supervisors': 0, 'workers': 2}",
        "  search: started",
        "search says hi",
        "  beta: switched off, declining to start",
        "beta is alive: False",
        "  search: stopped",
        "  api: stopped",
        "done",
    ],
    "exit_reasons.py": [
        "  watcher: drainer ended, reason ('shutdown', {'jobs': 1})",
        "  asker got: bad job -1",
        "  asker got: bad job -2",
        "  watcher: group ended, reason 'shutdown', error RestartLimitError",
        "root's children: [('drainer', 'terminated'), ('group', 'terminated')]",
        "  later call: group gave up: more than 1 restarts within 60s (last failure: child 'w': "
        "ValueError: bad job -2)",
        "done",
    ],
    "pool_failures.py": [
        "the asker of a bad job gets its error: cannot decode image 37",
        "after 37,000 jobs, 1 in 37 bad: still serving: True 1",
        "failures 1001, restarts 1001",
        "hopeless refused: pool hopeless is not serving: hopeless gave up: more than 20 restarts "
        "within 5s",
        "because of: 'RestartLimitError'",
        "done",
    ],
    "rpc_errors.py": [
        "Store: the asker got KeyError 'missing'",
        "Store: stopped by the guardian after its failure",
        "ForgivingStore: the asker got KeyError 'missing'",
        "ForgivingStore: still serving, a = 1",
        "CarefulStore: the asker got KeyError 'missing'",
        "CarefulStore: still serving, a = 1",
        "done",
    ],
    "worker_pool.py": [
        "40 images resized; round robin gave each worker [10, 10, 10, 10]",
        "bob's images went to 1 worker",
        "replaced: True - still 4 workers",
    ],
}


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_runs(name):
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    position = 0
    for expected in EXPECTED.get(name, []):
        assert expected in lines[position:], f"{name}: missing {expected!r} after line {position}"
        position = lines.index(expected, position) + 1


def test_readme_quick_start_is_the_example():
    readme = (EXAMPLES.parent / "README.md").read_text()
    block = readme.split("```python\n", 1)[1].split("```", 1)[0]
    example = (EXAMPLES / "quickstart.py").read_text()
    body = [line.strip() for line in block.splitlines() if line.strip()]
    for line in body:
        if line.startswith("airsrt.run(") or line.startswith('"""'):
            continue
        assert line.split("#")[0].strip() in example, f"README line not in the example: {line}"


def test_every_code_sample_in_the_docs_is_an_example_file():
    """The docs include examples/*.py (which the tests above run) instead of inline code."""
    docs = EXAMPLES.parent / "docs"
    for page in docs.rglob("*.md"):
        for block in page.read_text().split("```python\n")[1:]:
            body = block.split("```", 1)[0].strip()
            assert body.startswith('--8<-- "examples/') and "\n" not in body, (
                f"{page.relative_to(docs)} has an inline python sample; put it in examples/"
            )
            assert (EXAMPLES.parent / body.split('"')[1]).is_file()
