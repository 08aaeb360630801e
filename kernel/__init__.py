"""The eCommunity kernel: what every service shares (config, database, events, web, metrics, logs).

Importing it has one side effect: eventlet's own deprecation notice is silenced. eventlet is the
framework nameko 2 runs on, and that notice would otherwise open every command's output.
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated", category=Warning)
