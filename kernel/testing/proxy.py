"""A TCP proxy the test controls: ``cut()`` drops every connection and refuses new ones until
``restore()``. It takes RabbitMQ or PostgreSQL away from one process without stopping the server
that other tests (and other runs) share.
"""

from __future__ import annotations

import contextlib
from typing import Any

from eventlet import patcher

# real OS threads and blocking sockets, even in a monkey-patched test process: the proxy must
# keep piping while the test's green threads block, and must not share the eventlet hub
socket = patcher.original("socket")
threading = patcher.original("threading")


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port = self._listener.getsockname()[1]
        self._open: set[Any] = set()
        self._lock = threading.Lock()
        self._cut = False
        self._closed = False
        self.connections_made = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def url_for(self, url: str) -> str:
        """``url`` with its host and port replaced by the proxy's."""
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(url)
        auth = parts.netloc.rpartition("@")[0]
        netloc = f"{auth}@127.0.0.1:{self.port}" if auth else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._cut or self._closed:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
                self.connections_made += 1
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _pipe(self, source: Any, sink: Any) -> None:
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
                sink.sendall(chunk)
        except (OSError, EOFError):  # eventlet raises EOFError for a socket closed under it
            pass
        finally:
            for sock in (source, sink):
                self._close(sock)

    def _close(self, sock: Any) -> None:
        with self._lock:
            self._open.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def cut(self) -> None:
        """Drop every open connection and refuse new ones."""
        self._cut = True
        with self._lock:
            victims = list(self._open)
        for sock in victims:
            self._close(sock)

    def restore(self) -> None:
        self._cut = False

    def close(self) -> None:
        self._closed = True
        self.cut()
        # wake the acceptor so that it sees _closed and returns before the listener goes
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=2):
            pass
        self._thread.join(5)
        self._listener.close()
