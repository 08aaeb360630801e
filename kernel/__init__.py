"""The eCommunity kernel: what every service shares (config, database, events, web, metrics, logs).

Importing it has no side effects; ``kernel.runner`` is the process entry point.
"""
