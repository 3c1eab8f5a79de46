"""Starlette (and FastAPI, which is Starlette): the app's lifespan starts and
stops the plan, a pure-ASGI middleware opens a wireplan scope per request,
and ``/livez`` and ``/readyz`` report the app's health.

``pip install wireplan[starlette]``::

    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from wireplan.integrations.starlette import RequestScope, aget, health_routes, lifespan

    async def signup(request):
        users = await aget(request, UserService)     # a singleton from the app, a scoped one from the request
        ...

    app = Starlette(routes=[Route("/signup", signup, methods=["POST"]), *health_routes()],
                    lifespan=lifespan(plan), middleware=[Middleware(RequestScope)])

(or ``setup(app, plan)``, which does the three on an existing app).

What is promised:

- **Lifespan**: the plan starts with ``plan.start_async()`` when the server
  starts the app (a failure stops the server from starting: the
  ``StartError``), and stops when the server shuts down, after the requests
  in flight. Your own lifespan (``inner=``) runs inside: after the plan has
  started, and ends before it stops; the state it yields is the requests'
  state too. Test overrides (``plan.override``) active when the server
  starts are the ones its app uses.
- **A scope per request** (HTTP and WebSocket): scoped services live until
  the request is done, then are torn down newest first. When the endpoint
  raises, every teardown is told (a generator gets the exception thrown in:
  ``docs/lifecycle.md``, promise 2), so a unit of work written
  ``try: yield uow; uow.commit() except BaseException: uow.rollback(); raise``
  rolls back a failing request and commits a good one. A complete response
  is held until the scope has closed: the commit happens before the client
  sees a success, and a teardown that fails (a commit refused) turns the
  response into a 500. A streaming response is sent as it comes and the
  scope closes after its last byte. An exception that an exception handler
  turns into a response below the middleware (Starlette's
  ``HTTPException``) is a response to the scope, not an error, unless
  something recorded it (FastAPI's ``Inject`` does: see
  :mod:`wireplan.integrations.fastapi`). Background tasks run after the
  scope has closed: give them singletons, or a scope of their own.
- **Health**: ``GET /livez`` is ``app.liveness()`` and ``GET /readyz`` is
  ``await app.ahealth()`` as JSON, 200 when the status is ``pass`` and 503
  otherwise (before the app has started and after it stopped, too).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Mapping

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..runtime import _aleave_block

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from starlette.applications import Starlette
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from ..runtime import App, Plan
    from ..runtime import Scope as WireplanScope

__all__ = ["APP_KEY", "ERROR_KEY", "SCOPE_KEY", "RequestScope", "aget", "current_app", "current_scope",
           "health_routes", "lifespan", "livez", "readyz", "setup"]

#: The started wireplan app, in the lifespan state (``request.state``).
APP_KEY = "wireplan.app"
#: The request's wireplan scope, in the ASGI scope (``request.scope``).
SCOPE_KEY = "wireplan.scope"
#: An exception the endpoint raised that was turned into a response below the
#: middleware, recorded (by FastAPI's ``Inject``) so that the scope's
#: teardowns are told of it.
ERROR_KEY = "wireplan.error"


def lifespan(plan: Plan, *, inner: Callable[[Any], AbstractAsyncContextManager[Mapping[str, Any] | None]] | None = None,
             start_timeout: float | None = None, stop_timeout: float | None = None
             ) -> Callable[[Any], AbstractAsyncContextManager[Mapping[str, Any]]]:
    """A lifespan (``Starlette(lifespan=...)``, ``FastAPI(lifespan=...)``)
    that starts `plan` (``start_async``, with these timeouts) and stops it
    on shutdown; `inner`, your own lifespan, runs inside it."""

    @asynccontextmanager
    async def run(app: Any) -> AsyncIterator[Mapping[str, Any]]:
        async with plan.start_async(start_timeout=start_timeout, stop_timeout=stop_timeout) as started:
            if inner is None:
                yield {APP_KEY: started}
                return
            async with inner(app) as state:
                yield {**(state or {}), APP_KEY: started}

    return run


def current_app(conn: HTTPConnection) -> App:
    """The wireplan app the lifespan started (``RuntimeError`` when there is
    none: no wireplan lifespan, or a server without lifespan state)."""
    return _app_of(conn.scope)


def _app_of(scope: Scope) -> App:
    state = scope.get("state")
    found = state.get(APP_KEY) if state is not None else None
    if found is None:
        raise RuntimeError("no wireplan app was started for this request: give the Starlette or FastAPI app the "
                           "lifespan `wireplan.integrations.starlette.lifespan(plan)` (or call `setup(app, plan)`)")
    return found  # type: ignore[no-any-return]


def current_scope(conn: HTTPConnection) -> WireplanScope:
    """The request's wireplan scope (``RuntimeError`` without the
    :class:`RequestScope` middleware)."""
    found = conn.scope.get(SCOPE_KEY)
    if found is None:
        raise RuntimeError("this request has no wireplan scope: add the middleware "
                           "`Middleware(wireplan.integrations.starlette.RequestScope)` (or call `setup(app, plan)`)")
    return found  # type: ignore[no-any-return]


async def aget(conn: HTTPConnection, key: Any) -> Any:
    """The instance for `key` in this request: a singleton from the app,
    a scoped or transient one from the request's scope (built once per
    request for a scoped one, torn down when the request is done)."""
    scope = conn.scope.get(SCOPE_KEY)
    if scope is not None:
        return await scope.aget(key)
    app = _app_of(conn.scope)
    i = app.plan._index(key)
    if i >= app.plan.singletons:
        raise LookupError(f"`{app.plan.ids[i]}` is {app.plan._lifetimes[i]}: it is built per request, and this "
                          "request has no wireplan scope: add the middleware "
                          "`Middleware(wireplan.integrations.starlette.RequestScope)`")
    return await app.aget(key)


class RequestScope:
    """Pure-ASGI middleware: a wireplan scope per HTTP request and WebSocket
    session, closed when the app is done with it, each teardown told of the
    exception the request failed with (see the module's documentation)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        wscope = _app_of(scope).scope()
        scope[SCOPE_KEY] = wscope
        closed = False
        held: Message | None = None  # http.response.start, held until the scope has closed

        async def close() -> None:
            # After the app returned: a response. Teardowns are told of an
            # error recorded below (handled into that response), and one
            # that fails fails the request.
            nonlocal closed
            closed = True
            await wscope.aclose(error=scope.get(ERROR_KEY))

        async def sender(message: Message) -> None:
            nonlocal held
            if closed or kind != "http":
                await send(message)
                return
            t = message["type"]
            if t == "http.response.start":
                held = message
                return
            if held is not None:
                start, held = held, None
                if t == "http.response.body" and not message.get("more_body", False):
                    await close()  # the whole response: teardowns (a commit) first; raises if one fails
                await send(start)
            await send(message)

        try:
            await self.app(scope, receive, sender)
        except BaseException as e:
            if not closed:
                closed = True
                await _aleave_block(e, wscope.aclose(error=e), "closing the request's scope")
            raise
        if not closed:
            await close()
        if held is not None:  # a start and no body
            await send(held)


async def livez(request: Request) -> JSONResponse:
    """``app.liveness()`` as JSON: 200 when it passes, 503 otherwise."""
    state = request.scope.get("state")
    app = state.get(APP_KEY) if state is not None else None
    report = app.liveness() if app is not None else {"status": "fail"}
    return JSONResponse(report, status_code=200 if report["status"] == "pass" else 503)


async def readyz(request: Request) -> JSONResponse:
    """``await app.ahealth()`` as JSON: 200 when every check passes, 503
    otherwise (and before the app has started)."""
    state = request.scope.get("state")
    app = state.get(APP_KEY) if state is not None else None
    report = await app.ahealth() if app is not None else {"status": "fail", "checks": []}
    return JSONResponse(report, status_code=200 if report["status"] == "pass" else 503)


def health_routes(live: str = "/livez", ready: str = "/readyz") -> list[Route]:
    """The two probes as Starlette routes (``GET`` and ``HEAD``), for
    ``Starlette(routes=[..., *health_routes()])`` or ``app.router.routes``."""
    return [Route(live, livez, methods=["GET", "HEAD"]), Route(ready, readyz, methods=["GET", "HEAD"])]


def setup(app: Starlette, plan: Plan, *, health: bool = True, start_timeout: float | None = None,
          stop_timeout: float | None = None) -> None:
    """Wires `plan` into an existing Starlette or FastAPI app (before it
    serves): its lifespan starts and stops the plan around the app's own,
    the :class:`RequestScope` middleware, and (with `health`) ``/livez`` and
    ``/readyz``."""
    if app.middleware_stack is not None:
        raise RuntimeError("setup() must run before the app serves its first request or lifespan")
    app.router.lifespan_context = lifespan(plan, inner=app.router.lifespan_context, start_timeout=start_timeout,
                                           stop_timeout=stop_timeout)
    app.add_middleware(RequestScope)
    if health:
        app.router.routes.extend(health_routes())
