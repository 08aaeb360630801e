"""Top-level test configuration: eventlet first, then the kernel's fixtures."""

import eventlet

import kernel  # noqa: F401 - first: silences eventlet's deprecation notice

eventlet.monkey_patch()

from kernel.db import make_green

make_green()

pytest_plugins = ["kernel.testing.fixtures", "tests.support.fixtures"]
