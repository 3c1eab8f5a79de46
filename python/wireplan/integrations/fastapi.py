"""FastAPI: the Starlette integration (lifespan, a scope per request, health
probes) plus ``Inject(T)``, a ``Depends`` that gets a service by type.

``pip install wireplan[fastapi]``::

    from fastapi import FastAPI
    from wireplan.integrations.fastapi import Inject, setup

    app = FastAPI()
    setup(app, plan)                          # lifespan, RequestScope middleware, /livez and /readyz

    @app.post("/orders")
    async def create(order: Order, uow: UnitOfWork = Inject(UnitOfWork)) -> dict[str, int]:
        ...

``Inject(T)`` (or ``Annotated[T, Inject(T)]``) gives a singleton from the
app and a scoped or transient service from the request's scope (needs the
:class:`~wireplan.integrations.starlette.RequestScope` middleware, which
``setup`` adds). Each ``Inject`` is its own lookup (``use_cache=False``):
scoped services are still one per request, since the scope keeps them,
and a transient is new for each parameter, as ``get`` gives it.

An exception the endpoint raises reaches the scope's teardowns even when
FastAPI turns it into a response below the middleware (an
``HTTPException``, a handled ``RequestValidationError`` of a sub-dependency):
the dependency behind ``Inject`` sees it first and records it, so a unit of
work rolls back on ``raise HTTPException(409)`` too.

Tests: ``plan.override(T, fake)`` active when the server (or
``TestClient``) starts the app is what the app uses; FastAPI's own
``app.dependency_overrides`` stays for FastAPI's dependencies.
"""

from __future__ import annotations

from typing import Any, AsyncIterator

from fastapi import Depends
from starlette.requests import HTTPConnection

from .starlette import (APP_KEY, ERROR_KEY, SCOPE_KEY, RequestScope, aget, current_app, current_scope, health_routes,
                        lifespan, livez, readyz, setup)

__all__ = ["APP_KEY", "ERROR_KEY", "SCOPE_KEY", "Inject", "RequestScope", "aget", "current_app", "current_scope",
           "health_routes", "lifespan", "livez", "readyz", "setup"]

def Inject(key: Any) -> Any:  # noqa: N802 - named like FastAPI's Depends
    """``Depends`` on the service provided under `key` (a class,
    ``Annotated[T, "name"]`` or a key string), for this request."""
    return Depends(_resolver(key), use_cache=False)


def _resolver(key: Any) -> Any:
    async def resolve(conn: HTTPConnection) -> AsyncIterator[Any]:
        value = await aget(conn, key)
        try:
            yield value
        except BaseException as e:
            # The endpoint failed: recorded for the request's scope, which
            # closes after any exception handler has made its response.
            conn.scope.setdefault(ERROR_KEY, e)
            raise

    resolve.__qualname__ = resolve.__name__ = f"inject[{getattr(key, '__qualname__', key)!s}]"
    return resolve
