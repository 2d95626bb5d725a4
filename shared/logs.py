"""JSON logs carrying the request id, with personal data and tokens redacted.

A national ID number, a mobile phone number or a bearer token never reaches a
log line, whatever field holds it: the message, its arguments, every structured
``extra`` (``path``, ``subject``, ...), the request id and the traceback. A
client's ``X-Request-Id`` is taken only when it is safe to log and to pass on
(``accepted_request_id``); otherwise the request gets a new one.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import datetime, timezone

from .context import current_request_id

_REDACTIONS = [
    (re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [token]"),
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "[token]"),
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), "[id-number]"),
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)"), "[phone]"),
]


#: nothing shorter can hold what is redacted (a phone has 11 digits, "Bearer x" 8 characters)
_SHORTEST_SECRET = 8


def redact(text: str) -> str:
    if len(text) < _SHORTEST_SECRET:
        return text
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value):
    """A logged field's value with ``redact`` applied to every string in it; a number that reads as an ID
    number or a phone becomes the redacted string."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if -10_000_000 < value < 10_000_000:  # seven digits at most: no phone, no ID number
            return value
        text = str(value)
        cleaned = redact(text)
        return value if cleaned == text else cleaned
    if isinstance(value, dict):
        return {redact(str(k)): redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact_value(v) for v in value]
    return redact(str(value))


_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def safe_request_id(value) -> bool:
    """Whether a request id may be logged and passed on as it is: 1-64 of ``A-Z a-z 0-9 . _ -`` and nothing
    that reads as an ID number, a phone or a token."""
    return isinstance(value, str) and _SAFE_REQUEST_ID.fullmatch(value) is not None and redact(value) == value


def new_request_id() -> str:
    """A fresh request id (32 hex digits) that is itself safe (a run of digits could read as a phone)."""
    while True:
        rid = uuid.uuid4().hex
        if safe_request_id(rid):
            return rid


def accepted_request_id(header_value: str | None) -> str:
    """The request id of a request that sent ``X-Request-Id: header_value``: the client's when it is safe
    (``safe_request_id``), else a new one. The gateway and every service take it through here."""
    return header_value if safe_request_id(header_value) else new_request_id()


#: what every LogRecord has; anything else on a record is an ``extra`` and is logged (redacted)
_RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime",
                                                                                     "taskName"}
_ENTRY_FIELDS = ("ts", "level", "service", "logger", "msg", "request_id", "exc", "stack")


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        rid = getattr(record, "request_id", None) or current_request_id()
        if rid:
            entry["request_id"] = redact_value(rid)
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and key not in _ENTRY_FIELDS:
                entry[key] = redact_value(value)
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(service: str, level: str = "INFO") -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_zhibu", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._zhibu = True
    handler.setFormatter(JsonFormatter(service))
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("amqp", "kombu", "urllib3"):
        logging.getLogger(noisy).setLevel("WARNING")
