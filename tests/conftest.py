"""Top-level test configuration: eventlet first, then the kernel's fixtures."""

# isort: off
import kernel  # noqa: F401 - first: silences eventlet's deprecation notice
import eventlet

# isort: on

eventlet.monkey_patch()

from kernel.db import make_green

make_green()

pytest_plugins = ["kernel.testing.fixtures", "tests.support.fixtures"]
