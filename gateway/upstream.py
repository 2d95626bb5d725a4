"""Keep-alive connections to the services, one per upstream per gateway thread.

Leaner than a general-purpose pool on the hot path: a thread reuses its own
``http.client`` connection, so there is no pool lock, no retry object and no
header re-parsing. A connection the service closed while idle is reopened and
the request sent once more (the service never saw it).
"""
from __future__ import annotations

import http.client
import threading
from urllib.parse import urlsplit

STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest,
         http.client.BadStatusLine)


class UpstreamError(Exception):
    pass


class UpstreamTimeout(UpstreamError):
    """The service took longer than the gateway's upstream timeout (504, not 502)."""


class Upstreams:
    def __init__(self, urls: dict[str, str], timeout: float):
        self.targets = {}
        for name, url in urls.items():
            parts = urlsplit(url)
            self.targets[name] = (parts.hostname, parts.port or 80)
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self, service: str) -> tuple[http.client.HTTPConnection, bool]:
        conns = getattr(self._local, "conns", None)
        if conns is None:
            conns = self._local.conns = {}
        conn = conns.get(service)
        if conn is not None:
            return conn, True
        host, port = self.targets[service]
        conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        conns[service] = conn
        return conn, False

    def _drop(self, service: str) -> None:
        conn = self._local.conns.pop(service, None)
        if conn is not None:
            conn.close()

    def request(self, service: str, method: str, path: str, body: bytes | None, headers: dict):
        """Send the request; return the ``http.client.HTTPResponse`` (read it, then call ``done``)."""
        for attempt in (1, 2):
            conn, reused = self._connection(service)
            try:
                conn.request(method, path, body=body, headers=headers)
                return conn.getresponse()
            except STALE as exc:
                self._drop(service)
                if not reused or attempt == 2:
                    raise UpstreamError(type(exc).__name__) from exc
            except TimeoutError as exc:
                self._drop(service)
                raise UpstreamTimeout(type(exc).__name__) from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop(service)
                raise UpstreamError(type(exc).__name__) from exc
        raise UpstreamError("unreachable")

    def done(self, service: str, response: http.client.HTTPResponse) -> None:
        """After the body is read: keep the connection unless the service asked to close it."""
        if response.will_close:
            self._drop(service)
