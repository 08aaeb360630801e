"""The subscriber example in docs/events.md works against a real producer, as written."""

import ast
import re
import subprocess
import sys
from pathlib import Path

from nameko.standalone.rpc import ClusterRpcProxy

from tests.support.services import ProducerService

DOC = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def example() -> str:
    text = DOC.read_text()
    section = text[text.index("## Subscribing from another team") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_plain_kombu_subscriber_receives_our_events(make_settings, fresh_amqp_uri, probe_db, start_container):
    code = example()
    assert len(code.strip().splitlines()) <= 26
    # the documented loop runs forever; here it stops once the queue is quiet
    code = code.replace('AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"', f'AMQP_URI = "{fresh_amqp_uri}"')
    code = code.replace('routing_key="ecommunity.identity.#"', 'routing_key="ecommunity.probe_producer.#"')
    code = code.replace(
        "        while True:\n            conn.drain_events()",
        "        while True:\n            try:\n                conn.drain_events(timeout=3)\n"
        "            except TimeoutError:\n                break",
    )
    # the subscriber declares its queue first (as the doc says), then the events come
    declare_only = code.replace("        while True:", "        while False:")
    subprocess.run([sys.executable, "-c", declare_only], check=True, timeout=60)

    start_container(ProducerService, make_settings(amqp_uri=fresh_amqp_uri))
    with ClusterRpcProxy({"AMQP_URI": fresh_amqp_uri}) as rpc:
        rpc.probe_producer.write_note("doc-1", "for the CRM")
        rpc.probe_producer.write_note("doc-2", "for the CRM")
    out = subprocess.run([sys.executable, "-c", code], check=True, timeout=60, capture_output=True, text=True).stdout
    lines = [line.split(" ", 2) for line in out.strip().splitlines()]
    assert [(kind, subject) for kind, subject, _data in lines] == [
        ("ecommunity.probe_producer.note.written.v1", "note/doc-1"),
        ("ecommunity.probe_producer.note.written.v1", "note/doc-2"),
    ]
    assert ast.literal_eval(lines[0][2]) == {"note_id": "doc-1", "text": "for the CRM"}
