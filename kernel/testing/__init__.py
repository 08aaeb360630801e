"""Test support shared by every service's tests: real PostgreSQL, real RabbitMQ, real processes.

- ``infra``: a database and a RabbitMQ vhost of their own for each test run (unique names).
- ``proxy``: a TCP proxy a test can cut and restore, to take a dependency away gently.
- ``processes``: start the real service processes as ``make run`` does.
- ``fixtures``: the pytest fixtures built on them (``pytest_plugins = ["kernel.testing.fixtures"]``).
"""
