"""The spaces service's nameko entrypoints (see ARCHITECTURE.md for what it owns)."""

from kernel.service import PlatformService


class SpacesService(PlatformService):
    name = "spaces"
