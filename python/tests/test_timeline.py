"""The start-up record (`App.timeline()`, `StartError.timeline`): one shape
for both runtimes, read and drawn by the core (critical chain, blame, SVG,
Chrome trace events), the same bytes as `wireplan timeline`."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

import wireplan
from wireplan._cli import run

FIELDS = ["id", "layer", "start_us", "duration_us", "outcome", "needs"]


class Config:
    def __init__(self) -> None:
        time.sleep(0.002)


class Db:
    def __init__(self, config: Config) -> None:
        time.sleep(0.005)


class Server:
    def __init__(self, db: Db, config: Config) -> None:
        pass


class A:
    pass


class B:
    def __init__(self, a: A) -> None:
        raise RuntimeError("boom")


class C:
    def __init__(self, b: B) -> None:
        pass


def three() -> wireplan.Registry:
    r = wireplan.Registry()
    for cls in (Config, Db, Server):
        r.provide(cls)
    return r


def test_a_started_app_records_every_singleton_in_the_core_shape() -> None:
    with three().compile().start() as app:
        record = app.timeline()
    assert record["timeline"] == 1
    by_id = {s["id"].rsplit(".", 1)[-1]: s for s in record["services"]}
    assert list(by_id) == ["Config", "Db", "Server"]
    for s in record["services"]:
        assert list(s) == FIELDS
        assert s["outcome"] == "started"
        assert isinstance(s["start_us"], int) and isinstance(s["duration_us"], int)
    config, db, server = by_id["Config"], by_id["Db"], by_id["Server"]
    assert [config["layer"], db["layer"], server["layer"]] == [0, 1, 2]
    assert config["start_us"] == 0
    assert config["duration_us"] >= 2000 and db["duration_us"] >= 5000
    # Started one after the other: each starts when the one before it ended.
    assert db["start_us"] >= config["start_us"] + config["duration_us"] - 1
    assert server["start_us"] >= db["start_us"] + db["duration_us"] - 1
    assert [n.rsplit(".", 1)[-1] for n in server["needs"]] == ["Db", "Config"]
    assert db["needs"] == [config["id"]]


def test_the_critical_chain_follows_what_each_service_waited_for() -> None:
    with three().compile().start() as app:
        chain = wireplan.render_timeline(app.timeline())
    lines = chain.splitlines()
    assert lines[0].startswith("start-up took ")
    assert ".Server @" in lines[1] and lines[2].startswith("└─") and ".Db @" in lines[2]
    assert lines[3].startswith("  └─") and ".Config @0us +" in lines[3]


def test_a_failed_start_carries_its_record_up_to_the_failure() -> None:
    r = wireplan.Registry()
    for cls in (A, B, C):
        r.provide(cls)
    with pytest.raises(wireplan.StartError) as info:
        r.compile().start()
    record = info.value.timeline
    assert record is not None
    outcomes = {s["id"].rsplit(".", 1)[-1]: s["outcome"] for s in record["services"]}
    assert outcomes == {"A": "started", "B": "failed"}, "C was never called: not in the record"
    assert "(failed)" in wireplan.render_timeline(record, "blame")


def test_a_start_over_its_timeout_is_timed_out() -> None:
    r = wireplan.Registry()

    @r.provide
    class Slow:
        def __init__(self) -> None:
            time.sleep(0.03)

    with pytest.raises(wireplan.StartError) as info:
        r.compile().start(start_timeout=0.001)
    assert [s["outcome"] for s in info.value.timeline["services"]] == ["timed-out"]


def test_an_async_start_records_cancelled_factories() -> None:
    r = wireplan.Registry()

    @r.provide
    async def slow() -> int:
        await asyncio.sleep(5)
        return 1

    @r.provide
    async def bad() -> str:
        await asyncio.sleep(0.01)
        raise ValueError("x")

    async def main() -> dict:
        with pytest.raises(wireplan.StartError) as info:
            await r.compile().start_async()
        return info.value.timeline

    record = asyncio.run(main())
    outcomes = {s["id"].rsplit(".", 1)[-1]: (s["outcome"], s["layer"]) for s in record["services"]}
    assert outcomes == {"bad": ("failed", 0), "slow": ("cancelled", 0)}
    slow_entry = next(s for s in record["services"] if s["id"].endswith("slow"))
    assert 5_000 <= slow_entry["duration_us"] < 4_000_000, "cancelled when the other failed, not after its 5 s"


def test_an_async_start_records_layers_started_together() -> None:
    r = wireplan.Registry()

    @r.provide
    async def a() -> int:
        await asyncio.sleep(0.02)
        return 1

    @r.provide
    async def b() -> str:
        await asyncio.sleep(0.02)
        return "b"

    async def main() -> dict:
        app = await r.compile().start_async()
        try:
            return app.timeline()
        finally:
            await app.astop()

    services = asyncio.run(main())["services"]
    assert len(services) == 2
    first, second = services
    assert abs(first["start_us"] - second["start_us"]) < 10_000, "one layer starts concurrently"


@pytest.mark.parametrize("fmt", ["chain", "blame", "svg", "trace"])
def test_rendered_by_the_core_as_the_command_line_renders_it(fmt: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with three().compile().start() as app:
        record = app.timeline()
    path = tmp_path / "start.json"
    path.write_text(json.dumps(record))
    capfd.readouterr()
    assert run(["timeline", str(path), "--format", fmt]) == 0
    assert capfd.readouterr().out == wireplan.render_timeline(record, fmt)


def test_a_bad_record_is_refused_with_its_place() -> None:
    with pytest.raises(ValueError, match=r"services\[0\]\.outcome"):
        wireplan.render_timeline({"timeline": 1, "services": [
            {"id": "a", "layer": 0, "start_us": 0, "duration_us": 1, "outcome": "fine", "needs": []}]})
    with pytest.raises(ValueError, match="unknown timeline format"):
        wireplan.render_timeline({"timeline": 1, "services": []}, "png")
