"""The fx-style API (wireplan.fx): App(Provide, Supply, Invoke, Module),
Annotated names, Lifecycle hooks, run/start/stop, over the same registry
and plan."""

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Annotated, AsyncIterator, Iterator

import pytest

import wireplan
from wireplan import fx


class Settings:
    dsn = "sqlite://"


class Db:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn


class Server:
    def __init__(self, db: Db, replica: Db) -> None:
        self.db, self.replica = db, replica
        self.listening = False


LOG: list[str] = []


def new_db(settings: Settings) -> Iterator[Db]:
    yield Db(settings.dsn)
    LOG.append("db closed")


def new_replica(settings: Settings) -> Db:
    return Db(settings.dsn + "?replica")


def new_server(db: Db, replica: Annotated[Db, "replica"], lifecycle: fx.Lifecycle) -> Server:
    server = Server(db, replica)

    def listen() -> None:
        server.listening = True
        LOG.append("listening")

    def close() -> None:
        server.listening = False
        LOG.append("closed")

    lifecycle.append(on_start=listen, on_stop=close)
    return server


def register_routes(server: Server) -> None:
    LOG.append(f"routes on a server listening={server.listening}")


@pytest.fixture(autouse=True)
def _clear() -> Iterator[None]:
    LOG.clear()
    yield


def _app(**options: object) -> fx.App:
    return fx.App(
        fx.Supply(Settings()),
        fx.Module(
            "storage",
            fx.Provide(new_db, (Annotated[Db, "replica"], new_replica)),
        ),
        fx.Module("http", fx.Provide(new_server), fx.Invoke(register_routes)),
        **options,  # type: ignore[arg-type]
    )


def test_an_fx_app_builds_starts_and_stops_like_the_registry() -> None:
    app = _app()
    assert app.modules == ["storage", "http"]
    assert isinstance(app.plan, wireplan.Plan) and isinstance(app.registry, wireplan.Registry)
    app.start()
    server = app.get(Server)
    assert server.replica.dsn == "sqlite://?replica" and server.db.dsn == "sqlite://"
    assert app.get(Annotated[Db, "replica"]) is server.replica
    # Hooks after every build; the invocation after the hooks of what it needs.
    assert LOG == ["listening", "routes on a server listening=True"]
    assert app.liveness() == {"status": "pass"}
    app.stop()
    assert LOG[-2:] == ["closed", "db closed"]
    with pytest.raises(RuntimeError, match="not started"):
        app.get(Server)


def test_the_same_app_through_the_registry_has_the_same_plan() -> None:
    registry = wireplan.Registry()
    registry.supply(Settings())
    registry.provide(new_db)
    registry.provide(Annotated[Db, "replica"], new_replica)
    registry.provide(new_server)
    registry.invoke(register_routes)
    assert registry.compile().to_json() == _app().plan.to_json()


def test_with_block_and_async() -> None:
    with _app() as app:
        assert app.get(Server).listening
    assert LOG[-1] == "db closed"

    async def pool() -> AsyncIterator[Settings]:
        await asyncio.sleep(0)
        yield Settings()
        LOG.append("pool closed")

    async def main() -> None:
        async with fx.App(fx.Provide(pool)) as app:
            assert isinstance(app.get(Settings), Settings)
        app2 = fx.App(fx.Provide(pool))
        await app2.start_async()
        await app2.stop_async()

    asyncio.run(main())
    assert LOG[-2:] == ["pool closed", "pool closed"]


def test_a_broken_graph_is_reported_at_construction() -> None:
    with pytest.raises(wireplan.MissingDependencyError):
        fx.App(fx.Provide(new_server))


def test_options_are_checked() -> None:
    with pytest.raises(TypeError, match="fx.App\\(\\) takes fx options"):
        fx.App(new_db)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="use fx.Supply for a ready value"):
        fx.Provide(Settings())
    with pytest.raises(TypeError, match="takes a name first"):
        fx.Module(fx.Provide(new_db))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="at least one"):
        fx.Invoke()
    app = _app()
    app.start()
    with pytest.raises(RuntimeError, match="started already"):
        app.start()
    app.stop()


def test_provide_options_reach_the_registry() -> None:
    seen: list[str] = []
    app = fx.App(fx.Supply(Settings()), fx.Provide(new_db, on_start=lambda db: seen.append(db.dsn), health=lambda db: False))
    with app:
        assert seen == ["sqlite://"]
        assert app.health()["status"] == "fail"


def test_import_wireplan_does_not_load_fx() -> None:
    code = "import sys, wireplan; assert 'wireplan.fx' not in sys.modules; wireplan.fx.App; assert 'wireplan.fx' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_fx_run_until_signalled(tmp_path: Path) -> None:
    script = tmp_path / "fxapp.py"
    script.write_text(textwrap.dedent('''
        import sys
        from wireplan import fx

        class Config:
            pass

        def config(lifecycle: fx.Lifecycle) -> Config:
            lifecycle.append(on_start=lambda: print("ready", flush=True), on_stop=lambda: print("bye", flush=True))
            return Config()

        sys.exit(fx.App(fx.Provide(config)).run())
    '''))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    os.kill(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and out == "bye\n"
    assert err.splitlines()[-1] == "wireplan: stopped cleanly"
