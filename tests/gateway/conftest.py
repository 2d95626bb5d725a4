"""The gateway's fixtures: the org service on a real socket, a gateway in front of it, tokens."""
from __future__ import annotations

import threading
import time

import jwt
import pytest
from werkzeug.serving import make_server
from werkzeug.test import Client

from gateway.app import Gateway, GatewaySettings
from shared.config import SERVICES
from tests.conftest import TEST_SECRET, service_config


@pytest.fixture
def upstream_org(make_app):
    """The org service on a real socket, as the gateway reaches it."""
    app = make_app("org")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def gateway_for(tmp_path, upstreams: dict, **settings) -> Client:
    config = service_config("gateway", tmp_path)
    upstream_map = {s: "http://127.0.0.1:1" for s in SERVICES}
    upstream_map.update(upstreams)
    return Client(Gateway(config, GatewaySettings(upstreams=upstream_map, **settings)))


def token(**overrides):
    now = int(time.time())
    # a day ahead: tokens of the parameters are made when the tests are collected, long before some run
    claims = {"sub": "u1", "roles": ["admin"], "iss": "zhibu", "iat": now, "exp": now + 86400, **overrides}
    secret = claims.pop("_secret", TEST_SECRET)
    return jwt.encode(claims, secret, algorithm="HS256")


def bearer(tok):
    return {"Authorization": f"Bearer {tok}"}
