"""Where the spaces service is extended: installed packages declare entry points, loaded once.

- ``ecommunity.modules``: the content modules a community or space may enable (``modules.Module``);
- ``ecommunity.join_policies``: how candidates become members (``policies/``).

```python
installed_modules()                      # {"forum": Module(...), "news": Module(...), ...}
load_plugins("ecommunity.join_policies")  # {"open": <policy>, ...}
```
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from collections.abc import Mapping

    from services.spaces.plugins.modules import Module

MODULES_GROUP = "ecommunity.modules"
JOIN_POLICIES_GROUP = "ecommunity.join_policies"


@cache
def _loaded(group: str) -> Mapping[str, Any]:
    """Every entry point of ``group`` loaded, by name (read-only: shared by all callers)."""
    return MappingProxyType({point.name: point.load() for point in entry_points(group=group)})


def load_plugins(group: str) -> dict[str, Any]:
    """The objects the installed packages declare in the entry-point ``group``, by name.

    Loaded once per process (entry points do not change while it runs); each call gets its own dict.
    """
    return dict(_loaded(group))


def installed_modules() -> dict[str, Module]:
    """The content modules (``ecommunity.modules``), by name."""
    return cast("dict[str, Module]", load_plugins(MODULES_GROUP))


def content_types() -> frozenset[str]:
    """Every content type some installed module brings (what a charter's ``content_types`` may name)."""
    return frozenset(kind for module in installed_modules().values() for kind in module.content_types)
