"""The identity service's nameko entrypoints (see ARCHITECTURE.md for what it owns)."""

from kernel.service import PlatformService


class IdentityService(PlatformService):
    name = "identity"
