"""Top-level test configuration: eventlet first, then the kernel's fixtures."""

# isort: off
import kernel  # noqa: F401 - first: silences eventlet's deprecation notice
import eventlet

# isort: on
import os

import pytest

eventlet.monkey_patch()

from kernel import wire
from kernel.db import make_green

make_green()
wire.install()

pytest_plugins = ["kernel.testing.fixtures", "tests.support.fixtures"]


@pytest.fixture(scope="session", autouse=True)
def mail_folder(tmp_path_factory):
    """Mail written by the processes a test starts lands in a folder of this run (not ./var/mail)."""
    folder = tmp_path_factory.mktemp("mail")
    previous = os.environ.get("MAIL_DIR")
    os.environ["MAIL_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("MAIL_DIR", None)
    else:
        os.environ["MAIL_DIR"] = previous
