"""Run until signalled: a child Python process runs a plan, this test sends
it real signals (os.kill) and checks its output, its exit code, and that
its teardowns ran."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

CHILD = '''
import asyncio, sys, time
from typing import AsyncIterator, Iterator
import wireplan

MODE = sys.argv[1]

class Config:
    pass

class Server:
    def __init__(self, config: Config) -> None:
        self.config = config

def say(line: str) -> None:
    print(line, flush=True)

registry = wireplan.Registry()

@registry.provide
def config() -> Iterator[Config]:
    try:
        yield Config()
    finally:
        if MODE == "slow-stop":
            say("stopping slowly")
            time.sleep(30)
        if MODE == "bad-stop":
            raise OSError("disk full")
        say("config torn down")

def on_start(server: Server) -> None:
    if MODE == "slow-start":
        say("starting slowly")
        time.sleep(0.5)
    if MODE == "bad-start":
        raise ConnectionError("port 8080 in use")
    say("ready")

registry.provide(Server, on_start=on_start, on_stop=lambda s: say("server stopped"))

class Pool:
    def __init__(self, config: Config) -> None:
        pass

async def slow_close(pool: Pool) -> None:
    say("stopping slowly")
    await asyncio.sleep(30)

if MODE == "async":
    @registry.provide
    async def pool(config: Config) -> AsyncIterator[Pool]:
        yield Pool(config)
        await asyncio.sleep(0.01)
        say("pool closed")
elif MODE == "async-slow":
    registry.provide(Pool, on_stop=slow_close)

plan = registry.compile()
if MODE == "async":
    sys.exit(asyncio.run(plan.run_async()))
elif MODE == "async-slow":
    async def main() -> int:
        app = await plan.start_async()
        # app.arun() installs its handlers when called: say so just after.
        asyncio.get_running_loop().call_later(0.3, say, "armed")
        return await app.arun()
    sys.exit(asyncio.run(main()))
elif MODE == "app":
    import threading
    app = plan.start()
    # app.run() installs its handlers when called: say so just after.
    threading.Timer(0.3, say, ("armed",)).start()
    code = app.run()
    say(f"run returned {code}")
    sys.exit(code)
else:
    sys.exit(plan.run())
'''


def _spawn(tmp_path: Path, mode: str) -> subprocess.Popen[str]:
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD))
    return subprocess.Popen([sys.executable, str(script), mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(proc: subprocess.Popen[str], line: str, seen: list[str]) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        out = proc.stdout.readline()
        if not out:
            break
        seen.append(out.rstrip("\n"))
        if seen[-1] == line:
            return
    raise AssertionError(f"the child never printed {line!r}; it printed {seen!r}")


def _finish(proc: subprocess.Popen[str], seen: list[str]) -> tuple[int, list[str], list[str]]:
    out, err = proc.communicate(timeout=30)
    return proc.returncode, seen + out.splitlines(), err.splitlines()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_app_gracefully_and_exits_0(tmp_path: Path, sig: int) -> None:
    proc = _spawn(tmp_path, "plan")
    seen: list[str] = []
    _wait_for(proc, "ready", seen)
    os.kill(proc.pid, sig)
    code, out, err = _finish(proc, seen)
    assert code == 0
    assert out == ["ready", "server stopped", "config torn down"]
    name = signal.Signals(sig).name
    assert err == [f"wireplan: received {name}: stopping (send it again to exit at once)", "wireplan: stopped cleanly"]


def test_app_run_returns_the_code(tmp_path: Path) -> None:
    proc = _spawn(tmp_path, "app")
    seen: list[str] = []
    _wait_for(proc, "armed", seen)
    os.kill(proc.pid, signal.SIGTERM)
    code, out, _ = _finish(proc, seen)
    assert code == 0
    assert out == ["ready", "armed", "server stopped", "config torn down", "run returned 0"]


def test_a_failed_stop_exits_1_after_every_teardown(tmp_path: Path) -> None:
    proc = _spawn(tmp_path, "bad-stop")
    seen: list[str] = []
    _wait_for(proc, "ready", seen)
    os.kill(proc.pid, signal.SIGTERM)
    code, out, err = _finish(proc, seen)
    assert code == 1
    assert out == ["ready", "server stopped"]
    assert err[-1] == "wireplan: stopped with 1 error: OSError: disk full"


def test_a_failed_start_exits_1_and_rolls_back(tmp_path: Path) -> None:
    proc = _spawn(tmp_path, "bad-start")
    code, out, err = _finish(proc, [])
    assert code == 1
    assert out == ["config torn down"]
    assert any(line.startswith("wireplan: service `__main__.Server`") and "ConnectionError: port 8080 in use" in line for line in err)


@pytest.mark.parametrize("sig, expected", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_second_signal_forces_the_exit(tmp_path: Path, sig: int, expected: int) -> None:
    proc = _spawn(tmp_path, "slow-stop")
    seen: list[str] = []
    _wait_for(proc, "ready", seen)
    os.kill(proc.pid, sig)
    _wait_for(proc, "stopping slowly", seen)
    t0 = time.monotonic()
    os.kill(proc.pid, sig)
    code, out, err = _finish(proc, seen)
    assert time.monotonic() - t0 < 10  # not the 30 s teardown
    assert code == expected
    assert "config torn down" not in out
    name = signal.Signals(sig).name
    assert err[-1] == f"wireplan: received {name} again: exiting at once with code {expected}, without finishing the stop"


def test_run_async_stops_on_a_signal_with_async_teardowns(tmp_path: Path) -> None:
    proc = _spawn(tmp_path, "async")
    seen: list[str] = []
    _wait_for(proc, "ready", seen)
    os.kill(proc.pid, signal.SIGTERM)
    code, out, err = _finish(proc, seen)
    assert code == 0
    assert out == ["ready", "server stopped", "pool closed", "config torn down"]
    assert err[-1] == "wireplan: stopped cleanly"


def test_arun_a_second_signal_forces_while_an_async_stop_hook_hangs(tmp_path: Path) -> None:
    proc = _spawn(tmp_path, "async-slow")
    seen: list[str] = []
    _wait_for(proc, "armed", seen)
    os.kill(proc.pid, signal.SIGINT)
    _wait_for(proc, "stopping slowly", seen)
    os.kill(proc.pid, signal.SIGINT)
    code, out, err = _finish(proc, seen)
    assert code == 130
    assert "config torn down" not in out
    assert err[-1] == "wireplan: received SIGINT again: exiting at once with code 130, without finishing the stop"


def test_a_signal_at_any_moment_of_the_wait_is_handled(tmp_path: Path) -> None:
    # The first signal's handler runs between two bytecodes of the waiting
    # main thread: whatever that thread holds then, the handler must not
    # wait for it (a threading.Event did, and deadlocked now and then).
    for delay in (0.0, 0.001, 0.003, 0.01, 0.02, 0.05) * 2:
        proc = _spawn(tmp_path, "plan")
        seen: list[str] = []
        _wait_for(proc, "ready", seen)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGTERM)
        code, out, _ = _finish(proc, seen)
        assert (code, out) == (0, ["ready", "server stopped", "config torn down"])


def test_a_signal_during_the_start_stops_the_app_once_started(tmp_path: Path) -> None:
    proc = _spawn(tmp_path, "slow-start")
    seen: list[str] = []
    _wait_for(proc, "starting slowly", seen)
    os.kill(proc.pid, signal.SIGTERM)
    code, out, err = _finish(proc, seen)
    assert code == 0
    assert out == ["starting slowly", "ready", "server stopped", "config torn down"]
    assert err[-1] == "wireplan: stopped cleanly"


def test_run_refuses_a_thread_other_than_main() -> None:
    import threading

    import wireplan

    registry = wireplan.Registry()
    plan = registry.compile()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            plan.run()
        except RuntimeError as e:
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert "only the main thread receives" in str(errors[0])
