"""airsrt.observe's HTTP API: snapshot, tree, metrics, the event stream (order, reconnects),
safety (loopback, token, read-only, actions) and cost (nothing runs while nobody watches)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("aiohttp", reason="airsrt.observe needs aiohttp: pip install 'airsrt[observe]'")

import aiohttp  # noqa: E402
from sse_kit import SSEReader  # noqa: E402

import airsrt  # noqa: E402
import airsrt.observe  # noqa: E402
from airsrt import ChildSpec, ConfigurationError, OneForOne  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


class Ping:
    pass


class Boom:
    pass


class Worker(airsrt.Actor):
    @airsrt.handler
    def ping(self, msg: Ping) -> int:
        return 1

    @airsrt.handler
    def boom(self, msg: Boom) -> None:
        raise RuntimeError("boom")


class Other(airsrt.Actor):
    @airsrt.handler
    def ping(self, msg: Ping) -> int:
        return 2


async def eventually(check, timeout: float = 10.0, what: str = "condition") -> None:
    """Waits (bounded) until `check()` is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def node_id(system: airsrt.ActorSystem, ref: airsrt.ActorRef) -> str:
    return f"{system.name}:{ref._uid}"


async def test_serve_on_loopback_by_default_and_snapshot_json(actor_system):
    app = await actor_system.spawn_supervisor(
        OneForOne(max_restarts=5), [ChildSpec("w", Worker, name="w")], name="app"
    )
    app.child("w").tell(Ping())
    async with await airsrt.observe.serve(actor_system) as observer, aiohttp.ClientSession() as http:
        assert observer.host == "127.0.0.1"
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", observer.url)
        assert observer.login_url == observer.url
        async with http.get(observer.url + "api/snapshot") as response:
            assert response.status == 200
            data = await response.json()
        names = [a["name"] for a in data["actors"]]
        assert names[:3] == ["guardian", "app", "w"]
        assert names[-1] == f"observer:{observer.port}"  # the observer's own actor
        w = data["actors"][2]
        assert (w["path"], w["kind"], w["child_id"], w["processed"]) == ("/app/w", "actor", "w", 1)
        sup = [s for s in data["supervisors"] if s["actor"] == data["actors"][1]["id"]][0]
        assert (sup["strategy"], sup["max_restarts"], sup["restarts_in_window"]) == ("OneForOne", 5, 0)

        app.child("w").tell(Boom())
        await eventually(lambda: app.child("w").incarnation == 2, what="the restart")
        async with http.get(observer.url + "api/snapshot") as response:
            data = await response.json()
        w = [a for a in data["actors"] if a["name"] == "w"][0]
        assert (w["incarnation"], w["restarts"], w["failed"]) == (2, 1, 1)
        assert [s for s in data["supervisors"] if s["strategy"] == "OneForOne"][0]["restarts_in_window"] == 1

        await app.child("w").stop()
        async with http.get(observer.url + "api/snapshot") as response:
            data = await response.json()
        assert "w" not in [a["name"] for a in data["actors"]]
        assert data["counters"]["stopped"] == 1
        page = await (await http.get(observer.url)).text()
        assert "<title>airsrt observer</title>" in page
        for asset in ("observer.js", "observer.css", "favicon.svg"):
            async with http.get(observer.url + "static/" + asset) as response:
                assert response.status == 200 and len(await response.read()) > 100
    assert observer.closed


async def test_tree_groups_pages_and_search(actor_system):
    sup = await actor_system.spawn_supervisor(
        OneForOne(),
        [ChildSpec(i, Worker) for i in range(120)] + [ChildSpec("x", Other, name="odd-one")],
        name="many",
    )
    for i in range(0, 120, 10):
        sup.child(i).tell(Ping())
    async with await airsrt.observe.serve(actor_system) as observer, aiohttp.ClientSession() as http:
        root = f"{actor_system.name}:0"
        many = node_id(actor_system, sup)

        async def tree(*params: tuple[str, str]) -> dict:
            async with http.get(observer.url + "api/tree", params=list(params)) as response:
                assert response.status == 200
                return await response.json()

        data = await tree()
        assert [r["name"] for r in data["rows"]] == ["guardian"]  # nothing expanded
        data = await tree(("expand", root), ("expand", many))
        rows = data["rows"]
        assert [r["type"] for r in rows] == ["actor", "actor", "group", "group", "actor"]
        workers, odd = rows[2], rows[3]
        assert (workers["class"], workers["count"], workers["processed"]) == ("Worker", 120, 12)
        assert workers["states"] == {"IDLE": 120} and not workers["expanded"]
        assert (odd["class"], odd["count"]) == ("Other", 1)
        gid = workers["id"]
        data = await tree(("expand", root), ("expand", many), ("expand", gid), ("page", f"{gid}@100"))
        rows = data["rows"]
        page = [r for r in rows if r["type"] == "actor" and r["depth"] == 2]
        assert [r["child_id"] for r in page] == list(range(100, 120))
        assert [r for r in rows if r["type"] == "group"][0]["offset"] == 100
        data = await tree(("q", "ODD-"))
        assert data["matches"] == 1
        assert data["rows"][0]["name"] == "odd-one" and data["rows"][0]["path"] == "/many/odd-one"
        async with http.get(observer.url + "api/actor", params={"id": node_id(actor_system, sup.child(3))}) as r:
            details = await r.json()
        assert details["spec"]["id"] == 3 and details["spec"]["restart"] == "permanent"
        assert details["supervised_by"]["strategy"] == "OneForOne"
        assert details["actor"]["path"].startswith("/many/")
        async with http.get(observer.url + "api/actor", params={"id": "nope:1"}) as r:
            assert r.status == 404


async def test_metrics_parse_with_prometheus_client(actor_system):
    parser = pytest.importorskip("prometheus_client.parser")
    actor_system.spawn(Worker, name="named").tell(Ping())
    async with await airsrt.observe.serve(actor_system) as observer, aiohttp.ClientSession() as http:
        async with http.get(observer.url + "metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            text = await response.text()
    families = {f.name: f for f in parser.text_string_to_metric_families(text)}
    assert families["airsrt_actors"].samples[0].value == 2  # the worker and the observer's actor
    assert families["airsrt_messages_handled"].samples[0].value >= 1
    depth = {s.labels["actor"] for s in families["airsrt_mailbox_depth"].samples}
    assert "named" in depth


async def test_events_arrive_in_order_and_resume_with_last_event_id(actor_system):
    workers = [actor_system.spawn(Worker, name=f"w{i}") for i in range(6)]
    observer = await airsrt.observe.serve(actor_system, linger=30.0, max_events_per_second=100)
    async with observer, aiohttp.ClientSession() as http:
        stopped = lambda e: e.event == "event" and e.data["kind"] == "actor.stopped"  # noqa: E731
        response = await http.get(observer.url + "api/events")
        assert response.headers["Content-Type"] == "text/event-stream"
        reader = SSEReader(response)
        hello = await reader.next()
        assert hello.event == "hello" and hello.id is None and hello.data["system"] == actor_system.name
        assert reader.retry == 2000
        await eventually(lambda: observer.clients == 1, what="the client")
        for ref in workers[:3]:
            await ref.stop()
        got = [await reader.until(stopped) for _ in range(3)]
        assert [e.data["actor"] for e in got] == ["w0", "w1", "w2"]
        ids = [int(e.id.rsplit("-", 1)[1]) for e in got]
        assert ids == sorted(ids) and len(set(ids)) == 3
        last_seen = got[1].id  # as if the page had read only the first two
        response.close()

        for ref in workers[3:]:
            await ref.stop()  # while no page is connected: kept for the reconnect
        response = await http.get(observer.url + "api/events", headers={"Last-Event-ID": last_seen})
        reader = SSEReader(response)
        assert (await reader.next()).event == "hello"
        replay = [await reader.until(stopped) for _ in range(4)]
        assert [e.data["actor"] for e in replay] == ["w2", "w3", "w4", "w5"]
        assert replay[0].id == got[2].id  # the same message, the same id: nothing twice
        response.close()

        # An id from another observer (or one that restarted) is said to be so.
        response = await http.get(observer.url + "api/events", headers={"Last-Event-ID": "0badc0de-7"})
        reader = SSEReader(response)
        assert (await reader.next()).event == "hello"
        gap = await reader.next()
        assert gap.event == "gap" and gap.data["restarted"] is True
        response.close()


async def test_ticks_carry_rates_and_the_ledger(actor_system):
    ref = actor_system.spawn(Worker)
    observer = await airsrt.observe.serve(actor_system, interval=0.05)
    async with observer, aiohttp.ClientSession() as http:
        response = await http.get(observer.url + "api/events")
        reader = SSEReader(response)
        await reader.next()
        first = await reader.until(lambda e: e.event == "tick")
        for _ in range(50):
            ref.tell(Ping())
        later = await reader.until(lambda e: e.event == "tick" and e.data["ledger"]["handled"] >= 50)
        ledger = later.data["ledger"]
        assert ledger["sent"] == ledger["handled"] + ledger["rejected"] + ledger["dead_letters"] + \
            ledger["returned"] + ledger["withdrawn"] + ledger["in_flight"]
        assert later.data["point"]["actors"] == 2
        assert later.data["point"]["rate"] is not None and later.data["point"]["rate"] >= 0
        assert later.data["snapshot"]["seq"] >= first.data["snapshot"]["seq"] >= 1
        response.close()


async def test_nothing_runs_while_no_page_is_open(actor_system):
    subscribers = len(actor_system.events._subscribers)
    threshold = actor_system.event_threshold

    def observer_tasks() -> list[str]:
        return [t.get_name() for t in asyncio.all_tasks() if "observer" in t.get_name()]

    observer = await airsrt.observe.serve(actor_system, interval=0.02, linger=0.05)
    async with observer, aiohttp.ClientSession() as http:
        feed = observer._feed
        assert not feed.active and observer_tasks() == []
        assert len(actor_system.events._subscribers) == subscribers
        assert actor_system.event_threshold == threshold
        # The plain API works without starting anything either.
        async with http.get(observer.url + "api/tree") as response:
            assert response.status == 200
        assert not feed.active and observer_tasks() == []

        response = await http.get(observer.url + "api/events")
        await SSEReader(response).next()
        await eventually(lambda: feed.active and observer.clients == 1, what="the page to connect")
        assert len(actor_system.events._subscribers) == subscribers + 1
        assert observer_tasks() == ["airsrt observer sampler"]
        response.close()
        # The server notices at its next write (a tick); the subscription lingers briefly.
        await eventually(lambda: observer.clients == 0, what="the page to leave")
        assert observer_tasks() == []
        await eventually(lambda: not feed.active, what="the linger to end")
        assert len(actor_system.events._subscribers) == subscribers
        assert actor_system.event_threshold == threshold


async def test_the_observer_closes_with_the_system(actor_system):
    observer = await airsrt.observe.serve(actor_system, interval=0.05)
    async with aiohttp.ClientSession() as http:
        response = await http.get(observer.url + "api/events")
        reader = SSEReader(response)
        await reader.until(lambda e: e.event == "tick")
        await actor_system.shutdown()
        assert observer.closed and not observer._feed.active
        with pytest.raises((EOFError, aiohttp.ClientError)):
            for _ in range(100):
                await reader.next(timeout=5.0)
        response.close()
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(observer.url + "api/info")
    await observer.close()  # idempotent
    leftover = [t.get_name() for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert leftover == []


async def test_close_stops_the_observers_actor(actor_system):
    observer = await airsrt.observe.serve(actor_system)
    actor = actor_system.lookup(f"observer:{observer.port}")
    assert actor is not None and actor.is_alive
    await observer.close()
    assert not actor.is_alive and actor_system.is_running
    assert [a.name for a in actor_system.snapshot().actors] == ["guardian"]


async def test_a_token_guards_the_page_and_the_api(actor_system):
    token = secrets.token_urlsafe(24)
    observer = await airsrt.observe.serve(actor_system, token=token)
    async with observer, aiohttp.ClientSession() as http:
        url = observer.url
        assert observer.login_url == f"{url}?token={token}"
        for path in ("api/snapshot", "api/tree", "api/events", "metrics", "static/observer.js"):
            async with http.get(url + path) as response:
                assert response.status == 401, path
                assert "token" in (await response.json())["error"]
        async with http.get(url) as response:
            assert response.status == 401 and "needs its token" in await response.text()
        async with http.get(url + "api/info", headers={"Authorization": "Bearer wrong" + token}) as r:
            assert r.status == 401
        async with http.get(url + "api/info", headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 200 and (await r.json())["token"] is True
        async with http.get(url + "api/info", headers={"X-Airsrt-Token": token}) as r:
            assert r.status == 200
        async with http.get(url + "api/info", params={"token": token}) as r:
            assert r.status == 200
        async with http.get(url, params={"token": token}, allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/"
            cookie = r.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        name = f"airsrt_observer_{observer.port}"
        async with http.get(url + "api/info", headers={"Cookie": f"{name}={token}"}) as r:
            assert r.status == 200


async def test_other_hosts_need_a_token_and_foreign_host_names_are_refused(actor_system):
    with pytest.raises(ConfigurationError, match="token"):
        await airsrt.observe.serve(actor_system, host="0.0.0.0")
    with pytest.raises(ConfigurationError, match="16 characters"):
        await airsrt.observe.serve(actor_system, token="short")
    with pytest.raises(ConfigurationError, match="port"):
        await airsrt.observe.serve(actor_system, port=70000)
    async with await airsrt.observe.serve(actor_system) as observer, aiohttp.ClientSession() as http:
        # A page of another site whose name now points at 127.0.0.1 (DNS rebinding).
        async with http.get(observer.url + "api/info", headers={"Host": f"evil.example:{observer.port}"}) as r:
            assert r.status == 403
        async with http.get(f"http://localhost:{observer.port}/api/info") as r:
            assert r.status == 200


async def test_read_only_by_default(actor_system):
    ref = actor_system.spawn(Worker)
    async with await airsrt.observe.serve(actor_system) as observer, aiohttp.ClientSession() as http:
        async with http.post(
            observer.url + f"api/actors/{node_id(actor_system, ref)}/stop", headers={"X-Airsrt-Observer": "1"}
        ) as response:
            assert response.status == 403 and "read-only" in (await response.json())["error"]
    assert ref.is_alive


async def test_actions_stop_and_restart_are_recorded_as_events(actor_system):
    app = await actor_system.spawn_supervisor(OneForOne(), [ChildSpec("w", Worker, name="w")], name="app")
    loose = actor_system.spawn(Worker, name="loose")
    seen: list[airsrt.Event] = []
    actor_system.events.subscribe(lambda e: seen.append(e) if e.kind.startswith("observer.") else None,
                                  min_severity=airsrt.Severity.WARNING)
    observer = await airsrt.observe.serve(actor_system, allow_control=True)
    async with observer, aiohttp.ClientSession() as http:
        action = {"X-Airsrt-Observer": "1"}

        async def post(actor_id: str, what: str, headers: dict | None = None) -> tuple[int, dict]:
            async with http.post(observer.url + f"api/actors/{actor_id}/{what}", headers=headers) as r:
                return r.status, await r.json()

        w = app.child("w")
        status, body = await post(node_id(actor_system, w), "restart")
        assert status == 403 and "X-Airsrt-Observer" in body["error"]  # not from the page
        status, body = await post(node_id(actor_system, w), "restart", {**action, "Origin": "http://evil.example"})
        assert status == 403
        status, body = await post(node_id(actor_system, w), "restart", action)
        assert status == 200 and body["actor"] == "w"
        await eventually(lambda: w.incarnation == 2 and w.state_name() == "IDLE", what="the restart")
        assert app.child("w") is w  # in place: the same ref
        status, body = await post(node_id(actor_system, loose), "stop", action)
        assert status == 200 and body["state"] == "STOPPED" and not loose.is_alive
        status, body = await post(node_id(actor_system, loose), "stop", action)
        assert status == 404
        status, body = await post(f"{actor_system.name}:0", "stop", action)
        assert status == 403 and "guardian" in body["error"]
        status, body = await post(node_id(actor_system, observer._actor), "stop", action)
        assert status == 403
        status, body = await post("elsewhere:1", "stop", action)
        assert status == 404
    assert [(e.kind, e.actor) for e in seen] == [("observer.restart", "w"), ("observer.stop", "loose")]
    assert seen[0].severity is airsrt.Severity.WARNING and seen[0].details["requested_by"]
    assert [e.kind for e in actor_system.events.recent() if e.kind.startswith("observer.")] == [
        "observer.restart", "observer.stop"
    ]


async def test_events_are_rate_limited_and_counted(actor_system):
    refs = [actor_system.spawn(Worker) for _ in range(30)]
    observer = await airsrt.observe.serve(actor_system, max_events_per_second=8, interval=0.05)
    async with observer, aiohttp.ClientSession() as http:
        response = await http.get(observer.url + "api/events")
        reader = SSEReader(response)
        await reader.until(lambda e: e.event == "tick")
        for ref in refs:
            await ref.stop()
        events, dropped = 0, 0
        while events + dropped < 30:
            e = await reader.next()
            if e.event == "event" and e.data["kind"] == "actor.stopped":
                events += 1
            elif e.event == "tick":
                dropped += e.data["dropped"].get("actor.stopped", 0)
        assert events + dropped == 30 and dropped > 0
        response.close()


def test_import_airsrt_does_not_import_aiohttp():
    code = "import sys, airsrt; assert 'aiohttp' not in sys.modules, 'aiohttp was imported'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_command_line_demo_serves_its_system():
    done = subprocess.run(
        [sys.executable, "-m", "airsrt.observe"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "--demo" in done.stderr
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "airsrt.observe", "--demo", "--duration", "20", "--sensors", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert match, line
        with urllib.request.urlopen(match.group(0) + "api/snapshot", timeout=10) as response:
            data = json.load(response)
        names = {a["name"] for a in data["actors"]}
        assert {"app", "orders", "flaky", "payments", "gateway", "ledger", "resizers", "sensors",
                "audit", "traffic", "watcher-1"} <= names
        sensors = [a for a in data["actors"] if a["name"] == "sensors"][0]
        assert sensors["children"] == 60
    finally:
        proc.terminate()
        proc.wait(timeout=30)
