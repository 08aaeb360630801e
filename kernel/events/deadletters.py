"""Parked events: list them, replay them, or discard them — ``ecommunity-deadletters``.

``list`` shows what is parked (per service schema) with its error; ``replay`` publishes each
chosen event again to the queue of the handler that parked it (persistent, confirmed) and marks it
replayed; the handler's inbox makes a replay of something already applied harmless. ``discard``
marks an event as handled without replaying it (for events that must never be applied).
"""

from __future__ import annotations

import argparse
import json
import sys

import amqp
import psycopg2
import psycopg2.extras

from kernel.config import SERVICES, ConfigError, Settings
from kernel.events.envelope import CONTENT_TYPE
from kernel.events.outbox import _amqp_params


def list_parked(database_url: str, schema: str, include_replayed: bool = False) -> list[dict]:
    conn = psycopg2.connect(database_url, options=f"-c search_path={schema}")
    try:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(
                "SELECT id, consumer, queue, event_id, type, error, attempts, parked_at, replayed_at"
                " FROM dead_letters WHERE %s OR replayed_at IS NULL ORDER BY id",
                (include_replayed,),
            )
            return list(cur.fetchall())
    finally:
        conn.close()


def replay(database_url: str, schema: str, amqp_uri: str, ids: list[int] | None = None) -> int:
    """Republish parked events (all waiting ones when ``ids`` is None); returns how many."""
    conn = psycopg2.connect(database_url, options=f"-c search_path={schema}")
    broker = amqp.Connection(**_amqp_params(amqp_uri), connect_timeout=5)
    broker.connect()
    channel = broker.channel()
    channel.confirm_select()
    count = 0
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT id, queue, body, content_type, type FROM dead_letters"
                " WHERE replayed_at IS NULL AND (%s OR id = ANY(%s)) ORDER BY id FOR UPDATE",
                (ids is None, ids or []),
            )
            rows = cur.fetchall()
            for row_id, queue, body, content_type, event_type in rows:
                message = amqp.Message(
                    bytes(body),
                    content_type=content_type,
                    content_encoding="utf-8" if content_type == CONTENT_TYPE else "binary",
                    delivery_mode=2,
                    type=event_type or "",
                )
                # default exchange: straight to the handler's own queue, no other subscriber sees it
                channel.basic_publish_confirm(message, exchange="", routing_key=queue, mandatory=True)
                cur.execute("UPDATE dead_letters SET replayed_at = now() WHERE id = %s", (row_id,))
                count += 1
        conn.commit()
    finally:
        conn.close()
        broker.collect()
    return count


def discard(database_url: str, schema: str, ids: list[int]) -> int:
    conn = psycopg2.connect(database_url, options=f"-c search_path={schema}")
    try:
        with conn.cursor() as cur:
            cur.execute(
                "UPDATE dead_letters SET replayed_at = now() WHERE replayed_at IS NULL AND id = ANY(%s)", (ids,)
            )
            count = cur.rowcount
        conn.commit()
        return count
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ecommunity-deadletters", description=__doc__.splitlines()[0])
    parser.add_argument("--schema", action="append", help="service schema(s); default: every service")
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="show parked events")
    listing.add_argument("--all", action="store_true", help="include events already replayed or discarded")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    replaying = sub.add_parser("replay", help="publish parked events again to their handler's queue")
    replaying.add_argument("ids", nargs="*", type=int, help="dead-letter ids (default: every waiting one)")
    discarding = sub.add_parser("discard", help="mark parked events handled without replaying them")
    discarding.add_argument("ids", nargs="+", type=int)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"ecommunity-deadletters: {exc}", file=sys.stderr)
        return 2
    schemas = args.schema or list(SERVICES)
    try:
        for schema in schemas:
            if args.command == "list":
                for row in list_parked(settings.database_url, schema, args.all):
                    if args.json:
                        print(json.dumps({"schema": schema, **row}, default=str))
                    else:
                        state = "replayed" if row["replayed_at"] else "waiting"
                        print(
                            f"{schema} #{row['id']} {state} {row['consumer']} {row['type']} event={row['event_id']}"
                            f" attempts={row['attempts']} parked={row['parked_at']:%Y-%m-%d %H:%M:%S}: {row['error']}"
                        )
            elif args.command == "replay":
                count = replay(settings.database_url, schema, settings.amqp_uri, args.ids or None)
                print(f"{schema}: replayed {count}")
            else:
                print(f"{schema}: discarded {discard(settings.database_url, schema, args.ids)}")
    except (psycopg2.Error, OSError, amqp.exceptions.AMQPError) as exc:
        print(f"ecommunity-deadletters: {type(exc).__name__}: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
