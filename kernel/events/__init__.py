"""Reliable events: CloudEvents envelope, catalogue of types, outbox relay, inbox consumer."""
