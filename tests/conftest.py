"""Top-level test configuration: eventlet first, then the kernel's fixtures."""

import warnings

# eventlet announces its own deprecation on import; it is the framework nameko 2 runs on
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated", category=Warning)

import eventlet

eventlet.monkey_patch()

from kernel.db import make_green

make_green()

pytest_plugins = ["kernel.testing.fixtures", "tests.support.fixtures"]
