"""``make run``: every service and the gateway as child processes, stopped together.

Checks the dependencies first (one line each if something is missing), starts each process in its
own session (so Ctrl-C reaches only this launcher, which then stops the children gracefully with
SIGTERM and kills what has not exited after a grace period), prints where the gateway listens once
it is ready, and stops everything if any child dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from kernel.config import SERVICES, ConfigError, Settings, preflight

GRACE_SECONDS = 20
PR_SET_PDEATHSIG = 1
#: set by whoever starts a process that must not outlive it (the launcher, the tests)
DIE_WITH_PARENT = "ECOMMUNITY_DIE_WITH_PARENT"


def die_with_parent() -> None:
    """Ask Linux for SIGTERM when this process's parent dies, even by SIGKILL.

    The launcher's children run in sessions of their own (so that Ctrl-C reaches only the
    launcher); without this, a launcher killed outright would leave them running.
    """
    import ctypes

    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the launcher's own shutdown still stops them
        return
    if os.getppid() != parent:  # the parent died before we asked
        os.kill(os.getpid(), signal.SIGTERM)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http://localhost URL
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def main(argv: list[str] | None = None) -> int:
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"ecommunity: {exc}", file=sys.stderr)
        return 2
    problems = preflight(settings)
    if problems:
        for line in problems:
            print(f"ecommunity: {line}", file=sys.stderr)
        return 1

    if os.environ.get(DIE_WITH_PARENT) == "1":
        die_with_parent()
    stop_requested: list[int] = []

    def on_signal(signum, frame):
        stop_requested.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    children: dict[str, subprocess.Popen] = {}
    for name in (*SERVICES, "gateway"):
        children[name] = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "kernel.runner", name],
            start_new_session=True,
            env={**os.environ, DIE_WITH_PARENT: "1"},
        )

    gateway = f"http://localhost:{settings.gateway_port}"
    announced = False
    exit_code = 0
    while not stop_requested:
        dead = {name: proc.returncode for name, proc in children.items() if proc.poll() is not None}
        if dead:
            for name, code in dead.items():
                print(f"ecommunity: {name} exited with status {code}; stopping the others", file=sys.stderr)
            exit_code = 1
            break
        if not announced and _ready(gateway + "/readyz"):
            print(
                f"ecommunity: ready on {gateway} (API docs: {gateway}/docs, spec: {gateway}/openapi.json)", flush=True
            )
            announced = True
        time.sleep(0.5)

    for proc in children.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for name, proc in children.items():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"ecommunity: {name} did not stop in {GRACE_SECONDS}s; killing it", file=sys.stderr)
            proc.kill()
            proc.wait()
    print("ecommunity: stopped", file=sys.stderr)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
