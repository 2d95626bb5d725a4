"""Logs never carry a national ID number, a phone number or a token, in any field; request ids are safe."""
import json
import logging

import pytest

from shared.logs import JsonFormatter, accepted_request_id, new_request_id, redact, safe_request_id


@pytest.mark.parametrize("text, secret", [
    ("person 11010519491231002X registered", "11010519491231002X"),
    ("id=110105194912310021,", "110105194912310021"),
    ("call 13812345678 now", "13812345678"),
    ("call +86 13812345678", "13812345678"),
    ("Authorization: Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"),
    ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig_nature", "eyJhbGciOiJIUzI1NiJ9"),
])
def test_redaction(text, secret):
    assert secret not in redact(text)


def test_an_order_number_that_is_not_an_id_survives():
    assert redact("batch 2026 of 330000 units") == "batch 2026 of 330000 units"


def test_formatter_redacts_arguments_and_exceptions():
    formatter = JsonFormatter("members")
    try:
        raise ValueError("bad id 11010519491231002X")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "phone %s", ("13812345678",), sys.exc_info())
    line = formatter.format(record)
    assert "13812345678" not in line
    assert "11010519491231002X" not in line
    assert json.loads(line)["service"] == "members"


class _Lines(logging.Handler):
    """The JSON lines as the service's handler writes them (formatted at the call, request id and all)."""

    def __init__(self, service: str):
        super().__init__()
        self.setFormatter(JsonFormatter(service))
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines():
    handler = _Lines("members")
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_every_structured_field_is_redacted():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "GET %s", ("/api/members/v1/people/370102198003136666",),
                               None)
    record.path = "/api/members/v1/people/370102198003136666"
    record.subject = "13812345678"
    record.nested = {"phone": "138-1234-5678", "ids": ["11010519491231002X"], "as_number": 13812345678}
    record.status = 200
    line = JsonFormatter("members").format(record)
    entry = json.loads(line)
    for secret in ("370102198003136666", "13812345678", "138-1234-5678", "11010519491231002X"):
        assert secret not in line
    assert entry["path"] == "/api/members/v1/people/[id-number]"
    assert entry["subject"] == "[phone]"
    assert entry["nested"]["as_number"] == "[phone]"
    assert entry["status"] == 200  # a number that is no phone stays a number


@pytest.mark.parametrize("sent", ["req-123", "A.b_c-9", "x" * 64])
def test_a_safe_request_id_is_kept(sent):
    assert accepted_request_id(sent) == sent


@pytest.mark.parametrize("sent", [None, "", "x" * 65, "a b", "id\r\nX-Evil: 1", "<script>", "请求一",
                                  "370102198003136666", "rid-13812345678", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig"])
def test_an_unsafe_request_id_is_replaced(sent):
    rid = accepted_request_id(sent)
    assert rid != sent
    assert safe_request_id(rid)


def test_new_request_ids_are_always_safe():
    # about one uuid4 hex in 200 holds a run of digits that reads as a phone or an ID number
    assert all(safe_request_id(new_request_id()) for _ in range(5000))


def test_a_service_neither_logs_nor_echoes_an_id_number_in_the_path_or_the_request_id(make_app, auth_headers,
                                                                                         log_lines):
    members = make_app("members")
    resp = members.test_client().get("/api/members/v1/people/370102198003136666",
                                     headers={**auth_headers(members, "admin"), "X-Request-Id": "370102198003136666"})
    assert resp.status_code == 404
    assert resp.headers["X-Request-Id"] != "370102198003136666"
    assert safe_request_id(resp.headers["X-Request-Id"])
    assert resp.get_json()["request_id"] == resp.headers["X-Request-Id"]
    access = [json.loads(line) for line in log_lines if '"status": 404' in line]
    assert access
    assert access[-1]["path"] == "/api/members/v1/people/[id-number]"
    assert access[-1]["request_id"] == resp.headers["X-Request-Id"]
    assert not [line for line in log_lines if "370102198003136666" in line]
