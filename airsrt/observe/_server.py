"""The observer's HTTP server: aiohttp on the observed system's own event loop.

Why aiohttp: it is an asyncio server, so it runs on the loop the actors run on -- a request
reads the compiled cells directly, between two dispatcher turns, with no thread, no lock and
no copy -- and it streams Server-Sent Events, serves static files and parses requests with the
care of a long-kept library (aio-libs). A thread-based server would have to hop to the loop for
every read anyway.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import socket
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import TYPE_CHECKING, Any

from aiohttp import web

import airsrt
from airsrt._actor import Actor
from airsrt._errors import ConfigurationError
from airsrt._monitoring import Severity
from airsrt.observe import _control, _views
from airsrt.observe._feed import Feed, Message, dumps

if TYPE_CHECKING:
    from types import TracebackType

    from airsrt._core import ActorRef
    from airsrt._system import ActorSystem

__all__ = ["Observer", "serve"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Sent by the page with every action: a header a cross-site form cannot set, so another site
# open in the same browser cannot make it stop actors.
ACTION_HEADER = "X-Airsrt-Observer"
TOKEN_HEADER = "X-Airsrt-Token"
STATIC_TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
RETRY_MS = 2000


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _load_static() -> dict[str, tuple[bytes, str]]:
    files: dict[str, tuple[bytes, str]] = {}
    root = resources.files("airsrt.observe") / "static"
    for entry in root.iterdir():
        name = entry.name
        suffix = name[name.rfind("."):] if "." in name else ""
        if suffix in STATIC_TYPES:
            files[name] = (entry.read_bytes(), STATIC_TYPES[suffix])
    return files


class _ObserverActor(Actor):
    """Lives in the observed system so that the observer closes when the system shuts down.

    It handles no messages; its ``on_stop`` closes the server, so a system shutdown (which
    stops every actor) also ends the observer and leaves none of its tasks behind.
    """

    def __init__(self, observer: Observer) -> None:
        self._observer = observer

    async def on_stop(self) -> None:
        observer = self._observer
        if observer.closed:
            return  # observer.close() is stopping this actor: it is already under way
        observer._stopped_with_system = True
        await observer.close()


class Observer:
    """A live view of one actor system, served over HTTP (made by `serve`).

    Use it as ``async with await airsrt.observe.serve(system) as observer:`` or call `close`
    yourself; it also closes when the system shuts down.

    Attributes:
        url: The page's address, e.g. ``"http://127.0.0.1:8321/"`` (without the token).
        host: The address it listens on.
        port: The port it listens on.
        allow_control: Whether the page may stop and restart actors.
    """

    def __init__(
        self, system: ActorSystem, host: str, token: str | None, allow_control: bool, feed: Feed
    ) -> None:
        self.system = system
        self.host = host
        self.port = 0
        self.url = ""
        self.allow_control = allow_control
        self._token = token
        self._feed = feed
        self._runner: web.AppRunner | None = None
        self._actor: ActorRef | None = None
        self._close_task: asyncio.Task[None] | None = None
        self._stopped_with_system = False
        self._static = _load_static()
        self._index: tuple[int, _views.TreeIndex] | None = None
        self._allowed_hosts: set[str] = set()

    # -- public ------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once `close` has begun."""
        return self._close_task is not None

    @property
    def clients(self) -> int:
        """Pages (event streams) connected now."""
        return self._feed.clients

    @property
    def login_url(self) -> str:
        """`url` with the token in it (what to open in a browser when there is a token)."""
        return self.url if self._token is None else f"{self.url}?token={self._token}"

    async def close(self) -> None:
        """Stops serving: ends the event streams, closes the server and its connections.
        Idempotent; also called when the system shuts down."""
        if self._close_task is None:
            self._close_task = self.system.loop.create_task(self._close(), name="airsrt observer close")
        await asyncio.shield(self._close_task)

    async def __aenter__(self) -> Observer:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.clients} client(s)"
        return f"<Observer {self.url} {state}>"

    # -- starting and stopping ------------------------------------------------------------------

    async def _start(self, port: int) -> None:
        app = web.Application(middlewares=[self._guard], client_max_size=64 * 1024)
        app.router.add_get("/", self._page)
        app.router.add_get("/static/{name}", self._asset)
        app.router.add_get("/api/info", self._info)
        app.router.add_get("/api/snapshot", self._snapshot)
        app.router.add_get("/api/tree", self._tree)
        app.router.add_get("/api/actor", self._actor_details)
        app.router.add_get("/api/events", self._events)
        app.router.add_get("/metrics", self._metrics)
        app.router.add_post("/api/actors/{id}/stop", self._stop_actor)
        app.router.add_post("/api/actors/{id}/restart", self._restart_actor)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.create_server((self.host, port), family=family)
        try:
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
            await runner.setup()
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            raise
        self._runner = runner
        self.port = sock.getsockname()[1]
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{shown}:{self.port}/"
        names = {shown}
        if _is_loopback(self.host):
            names |= {"127.0.0.1", "localhost", "[::1]"}
        self._allowed_hosts = {f"{n}:{self.port}" for n in names}
        try:
            self._actor = self.system.spawn(_ObserverActor, self, name=f"observer:{self.port}")
        except BaseException:
            await runner.cleanup()
            raise

    async def _close(self) -> None:
        self._feed.close()
        if self._runner is not None:
            await self._runner.cleanup()
        actor = self._actor
        if actor is not None and actor.is_alive and not self._stopped_with_system and self.system.is_running:
            await actor.stop()

    # -- the guard: host, token, control ----------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if _is_loopback(self.host) and request.host not in self._allowed_hosts:
            # A page from another site that re-pointed its own name at 127.0.0.1 (DNS
            # rebinding) arrives with that name as its Host: refuse it.
            return _error(403, f"this observer answers only to {sorted(self._allowed_hosts)}")
        if self._token is not None:
            supplied = self._supplied_token(request)
            if supplied is None or not hmac.compare_digest(supplied.encode(), self._token.encode()):
                if request.path == "/":
                    return web.Response(status=401, text=_LOGIN_PAGE, content_type="text/html")
                return _error(401, "this observer needs its token: send it as 'Authorization: Bearer "
                                   "<token>', the X-Airsrt-Token header, or ?token=<token>")
            if request.method == "GET" and request.path == "/" and "token" in request.query:
                # Keep the token in a cookie (the page's own requests and its event stream carry
                # it) and drop it from the address bar.
                response = web.Response(status=303, headers={"Location": "/"})
                response.set_cookie(self._cookie_name, self._token, httponly=True, samesite="Strict", path="/")
                return response
        if request.method == "POST":
            if not self.allow_control:
                return _error(403, "this observer is read-only; start it with "
                                   "airsrt.observe.serve(system, allow_control=True) to allow actions")
            # Browsers send Origin with a POST: it must be this page's own origin.
            origin = request.headers.get("Origin")
            if request.headers.get(ACTION_HEADER) != "1" or (
                origin is not None and origin.split("//", 1)[-1].rstrip("/") != request.host
            ):
                return _error(403, f"actions must come from the observer's page (header {ACTION_HEADER}: 1)")
        return await handler(request)

    @property
    def _cookie_name(self) -> str:
        return f"airsrt_observer_{self.port}"

    def _supplied_token(self, request: web.Request) -> str | None:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth[7:].strip()
        return (
            request.headers.get(TOKEN_HEADER)
            or request.query.get("token")
            or request.cookies.get(self._cookie_name)
        )

    # -- pages and data -----------------------------------------------------------------------------

    async def _page(self, request: web.Request) -> web.StreamResponse:
        body, ctype = self._static["observer.html"]
        return web.Response(body=body, content_type=ctype, headers=_NO_STORE)

    async def _asset(self, request: web.Request) -> web.StreamResponse:
        found = self._static.get(request.match_info["name"])
        if found is None:
            return _error(404, "no such file")
        body, ctype = found
        return web.Response(body=body, content_type=ctype, headers=_NO_STORE)

    def _info_data(self) -> dict[str, Any]:
        system = self.system
        return {
            "system": system.name,
            "node": system.name,
            "state": system._state,
            "allow_control": self.allow_control,
            "token": self._token is not None,
            "version": airsrt.__version__,
            "interval": self._feed.interval,
            "group_threshold": _views.GROUP_THRESHOLD,
            "page_size": _views.PAGE_SIZE,
            "observer_actor": self._actor_id(self._actor),
            "series": list(self._feed.series),
        }

    def _actor_id(self, ref: ActorRef | None) -> str | None:
        return None if ref is None else f"{self.system.name}:{ref._uid}"

    async def _info(self, request: web.Request) -> web.StreamResponse:
        return _json(self._info_data())

    async def _snapshot(self, request: web.Request) -> web.StreamResponse:
        snap = self.system.snapshot()
        return web.Response(body=snap.to_json().encode(), content_type="application/json", headers=_NO_STORE)

    def _tree_index(self) -> _views.TreeIndex:
        """The index of the feed's latest snapshot (a fresh snapshot when no page samples)."""
        feed = self._feed
        if feed.snapshot is None or self._feed.clients == 0:
            feed.refresh_snapshot()
        assert feed.snapshot is not None
        if self._index is None or self._index[0] != feed.snapshot_seq:
            self._index = (feed.snapshot_seq, _views.TreeIndex(feed.snapshot, feed.rates))
        return self._index[1]

    async def _tree(self, request: web.Request) -> web.StreamResponse:
        index = self._tree_index()
        query = request.query.get("q", "").strip()
        meta = {
            "seq": self._feed.snapshot_seq,
            "taken_at": index.snapshot.taken_at,
            "duration": self._feed.snapshot.duration if self._feed.snapshot else None,
            "actors": len(index.snapshot.actors) - 1,
        }
        if query:
            matches, total = index.search(query)
            return _json({"rows": matches, "matches": total, "truncated": total > len(matches), "snapshot": meta})
        pages: dict[str, int] = {}
        for item in request.query.getall("page", []):
            gid, _, offset = item.rpartition("@")
            if gid and offset.isdigit():
                pages[gid] = int(offset)
        rows, truncated = index.visible_rows(request.query.getall("expand", []), pages)
        return _json({"rows": rows, "truncated": truncated, "snapshot": meta})

    async def _actor_details(self, request: web.Request) -> web.StreamResponse:
        actor_id = request.query.get("id", "")
        details = self._tree_index().details(actor_id)
        if details is None:
            return _error(404, f"no actor {actor_id!r} in the latest snapshot")
        return _json(details)

    async def _metrics(self, request: web.Request) -> web.StreamResponse:
        try:
            from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

            from airsrt.prometheus import ActorSystemCollector
        except ImportError:
            return _error(501, "/metrics needs prometheus_client: pip install 'airsrt[observe]'")
        registry = CollectorRegistry(auto_describe=False)
        registry.register(ActorSystemCollector(self.system))
        body = generate_latest(registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    # -- the event stream ---------------------------------------------------------------------------

    async def _events(self, request: web.Request) -> web.StreamResponse:
        feed = self._feed
        if feed.closed:
            return _error(503, "the observer is closing")
        response = web.StreamResponse(headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        })
        await response.prepare(request)
        last_text = request.headers.get("Last-Event-ID") or request.query.get("last_event_id")
        last = feed.parse_id(last_text)
        feed.attach()
        try:
            preamble = [f"retry: {RETRY_MS}\n\n", _sse(None, "hello", dumps(self._info_data()))]
            if last is None:
                cursor = feed.seq
                if last_text:
                    preamble.append(_sse(None, "gap", dumps({"missed": None, "restarted": True})))
            else:
                cursor = last
                missed, _ = feed.after(last)
                if missed:
                    preamble.append(_sse(None, "gap", dumps({"missed": missed, "restarted": False})))
            await response.write("".join(preamble).encode())
            while not feed.closed:
                _, messages = feed.after(cursor)
                if messages:
                    await response.write("".join(_sse(feed, m.event, m.data, m) for m in messages).encode())
                    cursor = messages[-1].seq
                else:
                    await feed.wait(cursor)
        except ConnectionError:
            pass  # the page went away
        finally:
            feed.detach()
        return response

    # -- actions ------------------------------------------------------------------------------------

    async def _stop_actor(self, request: web.Request) -> web.StreamResponse:
        try:
            cell = _control.find(self.system, request.match_info["id"], self._actor)
            return _json(await _control.stop(self.system, cell, str(request.remote)))
        except _control.ActionError as error:
            return _error(error.status, str(error))

    async def _restart_actor(self, request: web.Request) -> web.StreamResponse:
        try:
            cell = _control.find(self.system, request.match_info["id"], self._actor)
            return _json(_control.restart(self.system, cell, str(request.remote)))
        except _control.ActionError as error:
            return _error(error.status, str(error))


_NO_STORE = {"Cache-Control": "no-store"}

_LOGIN_PAGE = """<!doctype html><meta charset="utf-8"><title>airsrt observer: token needed</title>
<body style="font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;line-height:1.5">
<h1>This observer needs its token</h1>
<p>It was started with a token (it listens on a non-loopback address, or was asked to).
Open the address that <code>serve()</code> or <code>python -m airsrt.observe</code> printed,
which ends in <code>?token=&hellip;</code>; the token is then kept in a cookie for this page.</p>
"""


def _sse(feed: Feed | None, event: str, data: str, message: Message | None = None) -> str:
    head = f"id: {feed.message_id(message)}\n" if feed is not None and message is not None else ""
    return f"{head}event: {event}\ndata: {data}\n\n"


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(data, separators=(",", ":"), default=repr), status=status,
        content_type="application/json", headers=_NO_STORE,
    )


def _error(status: int, text: str) -> web.Response:
    return _json({"error": text}, status)


async def serve(
    system: ActorSystem,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    allow_control: bool = False,
    *,
    interval: float = 1.0,
    min_severity: Severity = Severity.INFO,
    max_events_per_second: int = 20,
    linger: float = 15.0,
    snapshot_share: float = 0.02,
) -> Observer:
    """Serves a live view of `system` on its own event loop, and returns once it listens.

    The page shows the supervision tree with each actor's mailbox, rates, failures and
    restarts, a live event feed, dead letters by reason and plots of the message rate and the
    total mailbox depth. While no page is open the observer costs nothing: no event
    subscription, no timer.

    Args:
        system: The system to observe (started on the running loop if it was not yet).
        host: The address to listen on. Loopback (the default) is reachable only from this
            machine; any other address needs a `token`.
        port: The port; 0 picks a free one (see ``observer.url``).
        token: A secret the page and the API then require (``Authorization: Bearer``, the
            ``X-Airsrt-Token`` header, ``?token=``, or the cookie the page gets). At least
            16 characters: ``secrets.token_urlsafe()`` makes one.
        allow_control: Let the page stop and restart actors (each action becomes an
            ``observer.stop`` / ``observer.restart`` event). Read-only by default.
        interval: Seconds between the page's updates.
        min_severity: The lowest severity of the events the feed shows.
        max_events_per_second: Events the feed forwards per second; the rest are counted.
        linger: Seconds the event subscription outlives the last page, so a page that
            reconnects gets what it missed.
        snapshot_share: The share of the loop's time tree snapshots may take (large systems
            get their tree refreshed less often than every `interval`).

    Returns:
        The running `Observer`: ``observer.url``, ``await observer.close()``.

    Raises:
        ConfigurationError: A non-loopback `host` without a `token`, a token shorter than
            16 characters, or a bad setting.
        ImportError: aiohttp is missing (``pip install "airsrt[observe]"``).
    """
    if not isinstance(host, str) or not host:
        raise ConfigurationError(f"observer host must be a non-empty str, got {host!r}")
    if token is not None and (not isinstance(token, str) or len(token) < 16):
        raise ConfigurationError(
            "observer token must be a str of at least 16 characters; make one with "
            "secrets.token_urlsafe()"
        )
    if token is None and not _is_loopback(host):
        raise ConfigurationError(
            f"observer host {host!r} is reachable from other machines: pass token=... (e.g. "
            "secrets.token_urlsafe()) so that only those who have it see and act on the system, "
            "or keep the default host '127.0.0.1'"
        )
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigurationError(f"observer port must be an int in 0..65535, got {port!r}")
    for what, value in (("interval", interval), ("linger", linger)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
            raise ConfigurationError(f"observer {what} must be a number of seconds > 0, got {value!r}")
    if not 0 < snapshot_share <= 1:
        raise ConfigurationError(f"observer snapshot_share must be within (0, 1], got {snapshot_share!r}")
    if isinstance(max_events_per_second, bool) or not isinstance(max_events_per_second, int) or max_events_per_second < 0:
        raise ConfigurationError(
            f"observer max_events_per_second must be an int >= 0, got {max_events_per_second!r}"
        )
    if not system.is_running:
        system.start()
    feed = Feed(
        system, interval=float(interval), min_severity=min_severity,
        max_events_per_second=max_events_per_second, linger=float(linger),
        snapshot_share=float(snapshot_share),
    )
    observer = Observer(system, host, token, bool(allow_control), feed)
    await observer._start(port)
    return observer
