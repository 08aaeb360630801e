"""The raw baseline's consumer: ack COUNT messages from QUEUE, print when the last was acked."""

from __future__ import annotations

import json
import sys
import time

from kombu import Connection, Consumer, Queue


def main() -> None:
    amqp_uri, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    received = 0
    last = 0.0
    with Connection(amqp_uri) as conn:

        def on_message(_body, message):
            nonlocal received, last
            message.ack()
            received += 1
            last = time.time()

        with Consumer(conn, [Queue(name, passive=True, no_declare=True)], callbacks=[on_message], accept=["json"]) as c:
            c.qos(prefetch_count=200)
            while received < count:
                try:
                    conn.drain_events(timeout=30)
                except TimeoutError:
                    break
    print(json.dumps({"received": received, "last_ack": last}))


if __name__ == "__main__":
    main()
