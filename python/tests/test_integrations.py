"""Starlette and FastAPI integrations, with real servers: uvicorn serving the
app on a free port in a thread, httpx making real HTTP requests."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any, AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket

import wireplan
from wireplan.integrations import fastapi as wf
from wireplan.integrations import starlette as ws


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """`app` served by uvicorn on a free port (a thread of this process)
    until the block ends, then shut down gracefully (lifespan included)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server did not start")
            if time.monotonic() > deadline:
                raise TimeoutError("the server did not start within 20 s")
            time.sleep(0.005)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()
        assert not thread.is_alive(), "the server did not stop"


# ---- the application: a database and a unit of work per request -------------


class Database:
    """A store whose rows change only by a unit of work's commit."""

    def __init__(self) -> None:
        self.rows: list[str] = []
        self.log: list[str] = []
        self.refuse_commit = False


class UnitOfWork:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.pending: list[str] = []

    def add(self, row: str) -> None:
        self.pending.append(row)


def unit_of_work(db: Database) -> Iterator[UnitOfWork]:
    uow = UnitOfWork(db)
    db.log.append("begin")
    try:
        yield uow
    except BaseException as e:
        db.log.append(f"rollback: {type(e).__name__}: {e}")
        raise
    if db.refuse_commit:
        db.log.append("commit refused")
        raise ConnectionError("commit refused")
    db.rows.extend(uow.pending)
    db.log.append("commit")


class Clock:
    def now(self) -> str:
        return "real"


def make_plan(events: list[str] | None = None) -> wireplan.Plan:
    registry = wireplan.Registry()

    @registry.provide
    def database() -> Iterator[Database]:
        if events is not None:
            events.append("database up")
        yield Database()
        if events is not None:
            events.append("database down")

    registry.provide(Clock)
    registry.provide(unit_of_work, lifetime="scoped")
    return registry.compile()


async def add_row(request: Request) -> JSONResponse:
    uow = await ws.aget(request, UnitOfWork)
    uow.add(request.path_params["row"])
    return JSONResponse({"added": request.path_params["row"]}, status_code=201)


async def add_then_fail(request: Request) -> JSONResponse:
    uow = await ws.aget(request, UnitOfWork)
    uow.add(request.path_params["row"])
    raise RuntimeError("payment declined")


async def rows(request: Request) -> JSONResponse:
    db = await ws.aget(request, Database)
    return JSONResponse({"rows": db.rows, "log": db.log})


async def stream(request: Request) -> StreamingResponse:
    uow = await ws.aget(request, UnitOfWork)

    async def body() -> AsyncIterator[bytes]:
        for part in ("a", "b", "c"):
            uow.add(part)
            yield part.encode()
            await asyncio.sleep(0)

    return StreamingResponse(body())


async def refuse_commit(request: Request) -> JSONResponse:
    db = await ws.aget(request, Database)
    db.refuse_commit = request.path_params["on"] == "on"
    return JSONResponse({})


async def clock(request: Request) -> PlainTextResponse:
    return PlainTextResponse((await ws.aget(request, Clock)).now())


def starlette_app(plan: wireplan.Plan, **kwargs: Any) -> Starlette:
    return Starlette(routes=[
        Route("/rows/{row}", add_row, methods=["POST"]),
        Route("/fail/{row}", add_then_fail, methods=["POST"]),
        Route("/rows", rows),
        Route("/stream", stream),
        Route("/refuse/{on}", refuse_commit, methods=["POST"]),
        Route("/clock", clock),
        *ws.health_routes(),
    ], lifespan=ws.lifespan(plan, **kwargs), middleware=[Middleware(ws.RequestScope)])


# ---- Starlette -------------------------------------------------------------------


def test_a_failing_request_rolls_back_and_a_good_one_commits() -> None:
    with serving(starlette_app(make_plan())) as url, httpx.Client(base_url=url) as client:
        assert client.post("/rows/first").status_code == 201
        failed = client.post("/fail/second")
        assert failed.status_code == 500
        assert client.post("/rows/third").status_code == 201
        state = client.get("/rows").json()
    assert state["rows"] == ["first", "third"]
    assert state["log"] == ["begin", "commit", "begin", "rollback: RuntimeError: payment declined", "begin", "commit"]


def test_the_commit_happens_before_the_response_and_a_refused_one_is_a_500() -> None:
    with serving(starlette_app(make_plan())) as url, httpx.Client(base_url=url) as client:
        assert client.post("/refuse/on").status_code == 200
        refused = client.post("/rows/lost")
        assert refused.status_code == 500  # never a 201 for a row that was not committed
        assert client.post("/refuse/off").status_code == 200
        state = client.get("/rows").json()
    assert state["rows"] == []
    assert "commit refused" in state["log"]


def test_a_streaming_response_closes_the_scope_after_its_last_byte() -> None:
    with serving(starlette_app(make_plan())) as url, httpx.Client(base_url=url) as client:
        with client.stream("GET", "/stream") as response:
            assert response.read() == b"abc"
        state = client.get("/rows").json()
    assert state["rows"] == ["a", "b", "c"]  # committed after the whole body was produced


def test_the_lifespan_starts_and_stops_the_plan_around_the_users_own() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def own(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        events.append("own startup")
        yield {"greeting": "hello"}
        events.append("own shutdown")

    async def greeting(request: Request) -> PlainTextResponse:
        started = ws.current_app(request)
        events.append(f"request ({type(started.get(Database)).__name__})")
        return PlainTextResponse(request.state.greeting)

    app = starlette_app(make_plan(events), inner=own)
    app.router.routes.append(Route("/greeting", greeting))
    with serving(app) as url:
        assert events == ["database up", "own startup"]
        assert httpx.get(f"{url}/greeting").text == "hello"
    assert events == ["database up", "own startup", "request (Database)", "own shutdown", "database down"]


FAILING_APP = """
import wireplan
from starlette.applications import Starlette
from wireplan.integrations.starlette import lifespan

class Database: ...

registry = wireplan.Registry()

@registry.provide
def database() -> Database:
    raise ConnectionError("no route to host")

app = Starlette(lifespan=lifespan(registry.compile()))
"""


def test_a_failing_start_keeps_the_server_from_serving(tmp_path: Any) -> None:
    # uvicorn as users run it: the command line, in a process of its own.
    (tmp_path / "failing.py").write_text(FAILING_APP)
    out = subprocess.run([sys.executable, "-m", "uvicorn", "failing:app", "--host", "127.0.0.1", "--port", "0"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 3, out.stderr  # uvicorn's STARTUP_FAILURE
    assert "wireplan.errors.StartError: service `failing.database` (" in out.stderr, out.stderr
    assert "failed to start: ConnectionError: no route to host" in out.stderr
    assert "Application startup failed. Exiting." in out.stderr


def test_without_the_middleware_scoped_services_say_what_is_missing() -> None:
    app = Starlette(routes=[Route("/rows/{row}", add_row, methods=["POST"]), Route("/clock", clock)],
                    lifespan=ws.lifespan(make_plan()))
    with serving(app) as url, httpx.Client(base_url=url) as client:
        assert client.get("/clock").text == "real"  # a singleton needs no scope
    with TestClient(app, raise_server_exceptions=True) as test_client:
        with pytest.raises(LookupError, match=r"`.*unit_of_work` is scoped: it is built per request, and this "
                                              r"request has no wireplan scope: add the middleware"):
            test_client.post("/rows/x")


def test_without_the_lifespan_the_middleware_says_what_is_missing() -> None:
    app = Starlette(routes=[Route("/clock", clock)], middleware=[Middleware(ws.RequestScope)])
    with TestClient(app) as test_client:
        with pytest.raises(RuntimeError, match="no wireplan app was started for this request: give the Starlette "
                                               "or FastAPI app the lifespan"):
            test_client.get("/clock")


def test_overrides_active_when_the_server_starts() -> None:
    plan = make_plan()

    class FakeClock:
        def now(self) -> str:
            return "fake"

    app = starlette_app(plan)
    with plan.override(Clock, FakeClock()):
        with serving(app) as url:
            assert httpx.get(f"{url}/clock").text == "fake"
    with serving(app) as url:
        assert httpx.get(f"{url}/clock").text == "real"


def test_the_plugin_fixture_overrides_a_served_app(wireplan_overrides: Any) -> None:
    plan = make_plan()
    db = Database()
    db.rows.append("seeded")
    wireplan_overrides.override(plan, Database, db)
    with serving(starlette_app(plan)) as url, httpx.Client(base_url=url) as client:
        client.post("/rows/more")
        assert client.get("/rows").json()["rows"] == ["seeded", "more"]
    assert db.rows == ["seeded", "more"]


def test_a_websocket_session_has_a_scope() -> None:
    plan = make_plan()

    async def session(websocket: WebSocket) -> None:
        await websocket.accept()
        uow = await ws.aget(websocket, UnitOfWork)
        async for text in websocket.iter_text():
            uow.add(text)
            await websocket.send_text(f"ok {text}")

    app = starlette_app(plan)
    app.router.routes.append(WebSocketRoute("/ws", session))
    with TestClient(app) as test_client:
        with test_client.websocket_connect("/ws") as socket_:
            socket_.send_text("x")
            assert socket_.receive_text() == "ok x"
            socket_.send_text("y")
            assert socket_.receive_text() == "ok y"
        assert test_client.get("/rows").json()["rows"] == ["x", "y"]


# ---- FastAPI ---------------------------------------------------------------------


def fastapi_app(plan: wireplan.Plan) -> FastAPI:
    app = FastAPI()
    wf.setup(app, plan)

    @app.post("/orders/{item}", status_code=201)
    async def create(item: str, uow: UnitOfWork = wf.Inject(UnitOfWork)) -> dict[str, str]:
        uow.add(item)
        if item == "crash":
            raise RuntimeError("crashed after writing")
        if item == "taken":
            raise HTTPException(status_code=409, detail="taken")
        return {"created": item}

    @app.get("/orders")
    def orders(db: Annotated[Database, wf.Inject(Database)],
               uow: Annotated[UnitOfWork, wf.Inject(UnitOfWork)],
               again: Annotated[UnitOfWork, wf.Inject(UnitOfWork)]) -> dict[str, Any]:
        # A sync endpoint (run in a thread), scoped services one per request.
        return {"rows": db.rows, "log": db.log, "same": uow is again}

    @app.get("/clock")
    async def now(clock: Clock = wf.Inject(Clock)) -> str:
        return clock.now()

    return app


def test_fastapi_inject_and_the_unit_of_work() -> None:
    with serving(fastapi_app(make_plan())) as url, httpx.Client(base_url=url) as client:
        assert client.post("/orders/tea").status_code == 201
        assert client.post("/orders/crash").status_code == 500
        taken = client.post("/orders/taken")  # an HTTPException, handled below the middleware
        assert taken.status_code == 409 and taken.json() == {"detail": "taken"}
        assert client.post("/orders/cake").status_code == 201
        state = client.get("/orders").json()
    assert state["rows"] == ["tea", "cake"]
    assert state["same"] is True
    assert state["log"][:8] == ["begin", "commit", "begin", "rollback: RuntimeError: crashed after writing",
                                "begin", "rollback: HTTPException: 409: taken", "begin", "commit"]


def test_fastapi_overrides_and_setup_keeps_the_apps_lifespan() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def own(app: FastAPI) -> AsyncIterator[None]:
        events.append("own startup")
        yield
        events.append("own shutdown")

    class FakeClock:
        def now(self) -> str:
            return "fake"

    plan = make_plan(events)
    app = FastAPI(lifespan=own)
    wf.setup(app, plan)

    @app.get("/clock")
    async def now(clock: Clock = wf.Inject(Clock)) -> str:
        return clock.now()

    with plan.override(Clock, FakeClock()), serving(app) as url:
        assert httpx.get(f"{url}/clock").json() == "fake"
    assert events == ["database up", "own startup", "own shutdown", "database down"]


def test_setup_refuses_an_app_already_serving() -> None:
    app = Starlette()
    with TestClient(app):
        with pytest.raises(RuntimeError, match="setup\\(\\) must run before the app serves"):
            ws.setup(app, make_plan())


# ---- health ----------------------------------------------------------------------


def test_health_endpoints_without_a_started_app_fail() -> None:
    # No wireplan lifespan: nothing started, so neither probe passes.
    app = Starlette(routes=ws.health_routes())
    with serving(app) as url, httpx.Client(base_url=url) as client:
        live, ready = client.get("/livez"), client.get("/readyz")
    assert (live.status_code, live.json()) == (503, {"status": "fail"})
    assert (ready.status_code, ready.json()) == (503, {"status": "fail", "checks": []})


needs_health = pytest.mark.skipif(not hasattr(wireplan.App, "ahealth"),
                                  reason="app.liveness()/ahealth() land with the runtime's health checks (branch py)")


@needs_health
def test_health_endpoints_of_a_started_app() -> None:
    registry = wireplan.Registry()
    state = {"healthy": True}

    def check(db: Database) -> bool:
        return state["healthy"]

    registry.provide(Database, health=check)
    plan = registry.compile()
    app = Starlette(routes=ws.health_routes(), lifespan=ws.lifespan(plan), middleware=[Middleware(ws.RequestScope)])
    with serving(app) as url, httpx.Client(base_url=url) as client:
        live, ready = client.get("/livez"), client.get("/readyz")
        assert (live.status_code, live.json()) == (200, {"status": "pass"})
        assert ready.status_code == 200 and ready.json()["status"] == "pass"
        assert [c["id"] for c in ready.json()["checks"]] == [plan.ids[0]]
        state["healthy"] = False
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"][0]["status"] == "fail"
        assert client.get("/livez").status_code == 200


# ---- imports ---------------------------------------------------------------------


def test_import_wireplan_imports_no_framework() -> None:
    code = ("import sys\nimport wireplan, wireplan.integrations\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('starlette', 'fastapi', 'uvicorn', 'httpx', 'anyio', 'pydantic', 'pytest')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
