"""The hotline service's nameko entrypoints (see ARCHITECTURE.md for what it owns)."""

from kernel.service import PlatformService


class HotlineService(PlatformService):
    name = "hotline"
