"""Where events travel on RabbitMQ: one durable topic exchange, one durable queue per handler.

- Exchange ``ecommunity.events`` (topic, durable). Routing key = the event type, e.g.
  ``ecommunity.identity.user.registered.v1``, so a subscriber binds ``ecommunity.identity.#`` or
  an exact type.
- Queue ``<consumer service>.<handler>`` (durable; ``classic`` on one machine, ``quorum`` on a
  cluster via ``EVENT_QUEUE_TYPE``), bound with the handler's event types. A queue belongs to one
  consumer; several replicas of a service share it (competing consumers).
"""

from __future__ import annotations

from kombu import Exchange, Queue

EXCHANGE = "ecommunity.events"


def exchange() -> Exchange:
    return Exchange(EXCHANGE, type="topic", durable=True)


def declare_exchange(channel) -> None:
    """Declare the exchange on a raw py-amqp channel (idempotent)."""
    channel.exchange_declare(EXCHANGE, "topic", durable=True, auto_delete=False)


def queue_name(service: str, handler: str) -> str:
    return f"{service}.{handler}"


def queue_arguments(queue_type: str) -> dict:
    return {"x-queue-type": queue_type}


def handler_queue(service: str, handler: str, event_types: list[str], queue_type: str = "classic") -> Queue:
    from kombu import binding

    ex = exchange()
    return Queue(
        queue_name(service, handler),
        bindings=[binding(ex, routing_key=t) for t in event_types],
        durable=True,
        auto_delete=False,
        queue_arguments=queue_arguments(queue_type),
    )


def handler_queues(service_cls, queue_type: str = "classic") -> list[Queue]:
    """The queues a service class's ``on_event`` handlers consume, as they will be declared."""
    import inspect

    from kernel.events.consumer import EventHandler

    queues = []
    for attr, member in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(member, "nameko_entrypoints", ()):
            if isinstance(entrypoint, EventHandler):
                queues.append(handler_queue(service_cls.name, attr, entrypoint.event_types, queue_type))
    return queues


def declare(amqp_uri: str, service_classes, queue_type: str = "classic") -> list[str]:
    """Declare the exchange and every handler's queue, so that an event published before its
    consumer first starts waits for it instead of being dropped; returns the queue names."""
    from kombu import Connection

    names = []
    with Connection(amqp_uri, connect_timeout=5) as conn:
        channel = conn.default_channel
        exchange()(channel).declare()
        for cls in service_classes:
            for queue in handler_queues(cls, queue_type):
                queue(channel).declare()
                names.append(queue.name)
    return names
