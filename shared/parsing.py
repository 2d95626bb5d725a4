"""How a request's arguments are read: webargs' Flask parser with the kit's bounds on hostile input.

Every service's blueprints are :class:`Blueprint` (flask-smorest's, with :data:`STRICT_PARSER`), so each
body and query string goes through the same checks before its schema sees it:

- a JSON body is walked without recursion (nesting deeper than :data:`MAX_DEPTH` is refused), rejects
  ``NaN`` / ``Infinity`` and numbers that overflow a float, and holds no integer outside 64 bits and no
  NUL character in any key or string (PostgreSQL cannot store one);
- a loaded argument (query, path, headers or body) holds no integer outside 64 bits, whatever its schema;
- malformed JSON is a 400, a well-formed body with a bad value a 422 naming the field (``errors`` in
  webargs' shape ``{"json": {"a.b": [message]}}``), each message in Chinese and English from the catalog.

NUL bytes in the URL itself are refused before any view (``shared/app.py``).
"""
from __future__ import annotations

import json
import math

import flask_smorest

from webargs import core
from werkzeug.exceptions import RequestEntityTooLarge
from webargs.flaskparser import FlaskParser, abort, is_json_request

from .messages import msg

#: nesting of objects and arrays a JSON body may have (the deepest schema of the suite has 4)
MAX_DEPTH = 32
INT_MIN, INT_MAX = -(2 ** 63), 2 ** 63 - 1


class BadValue(ValueError):
    """A value of the body the kit refuses, with where it is (``a.b.0``) and the catalog's message."""

    def __init__(self, where: str, message):
        super().__init__(str(message))
        self.where = where or "_body"
        self.message = message


def _non_finite(name: str):
    raise BadValue("", msg("json-non-finite", value=name))


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise BadValue("", msg("json-number-range", value=text[:40]))
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > 19:  # beyond 64 bits (and before int() meets Python's digit limit)
        raise BadValue("", msg("integer-range", low=INT_MIN, high=INT_MAX))
    return int(text)


def _check_scalar(value, where: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise BadValue(where, msg("nul-character"))
    elif isinstance(value, int) and not isinstance(value, bool):
        if not INT_MIN <= value <= INT_MAX:
            raise BadValue(where, msg("integer-range", low=INT_MIN, high=INT_MAX))


def check_tree(document, *, max_depth: int = MAX_DEPTH) -> None:
    """Walk ``document`` without recursion; raise :class:`BadValue` at the first thing refused."""
    stack = [(document, "", 0)]
    while stack:
        node, where, depth = stack.pop()
        if isinstance(node, dict):
            if depth >= max_depth:
                raise BadValue(where, msg("json-too-deep", depth=max_depth))
            for key, value in node.items():
                if "\x00" in key:
                    raise BadValue(where, msg("nul-character"))
                stack.append((value, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(node, list):
            if depth >= max_depth:
                raise BadValue(where, msg("json-too-deep", depth=max_depth))
            stack.extend((value, f"{where}.{i}" if where else str(i), depth + 1) for i, value in enumerate(node))
        else:
            _check_scalar(node, where)


def load_strict_json(raw: bytes | str):
    """A JSON document the kit accepts, or :class:`BadValue` / :class:`json.JSONDecodeError`."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    try:
        document = json.loads(text, parse_constant=_non_finite, parse_float=_float, parse_int=_int)
    except RecursionError:  # the C scanner stops cleanly at the interpreter's limit; the walk below at ours
        raise BadValue("", msg("json-too-deep", depth=MAX_DEPTH)) from None
    check_tree(document)
    return document


def _refuse(where: str, message, location: str = "json"):
    abort(422, messages={location: {where: [str(message)]}})


class StrictParser(FlaskParser):
    """webargs' Flask parser with the kit's bounds (see the module's docstring)."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            # a body sent without saying it is JSON: the one rule is a 400 that says so (never "missing field")
            if req.content_length or (req.content_length is None and req.get_data(cache=True)):
                abort(400, messages={"json": [msg("json-content-type", type=req.mimetype or "none")]})
            return core.missing
        raw = req.get_data(cache=True)
        limit = req.max_content_length
        if req.content_length is None and limit is not None and len(raw) >= limit:
            raise RequestEntityTooLarge()  # a body without a length is read up to the limit, silently
        try:
            return load_strict_json(raw)
        except UnicodeDecodeError:
            abort(400, messages={"json": [msg("json-not-utf8")]})
        except BadValue as exc:
            _refuse(exc.where, exc.message)
        except json.JSONDecodeError as exc:
            if exc.doc == "":
                return core.missing
            abort(400, messages={"json": [msg("json-malformed", line=exc.lineno, column=exc.colno)]})

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(400, messages={"json": [msg("json-malformed", line=getattr(error, "lineno", 1),
                                          column=getattr(error, "colno", 1))]})

    def _load_location_data(self, *, schema, req, location):
        data = super()._load_location_data(schema=schema, req=req, location=location)
        if location != "json" and data is not core.missing:
            for key in data:
                values = data.getlist(key) if hasattr(data, "getlist") else [data[key]]
                if "\x00" in key or any(isinstance(v, str) and "\x00" in v for v in values):
                    _refuse(key, msg("nul-character"), location)
        return data

    def parse(self, argmap, req=None, *, location=None, unknown=core._UNKNOWN_DEFAULT_PARAM,
              validate=None, error_status_code=None, error_headers=None):
        loaded = super().parse(argmap, req, location=location, unknown=unknown, validate=validate,
                               error_status_code=error_status_code, error_headers=error_headers)
        try:
            check_tree(_plain(loaded), max_depth=10 ** 6)
        except BadValue as exc:
            _refuse(exc.where, exc.message, location or self.location)
        return loaded


def _plain(loaded):
    """Loaded arguments as dicts and lists only (a schema may load objects of its own: left alone)."""
    if isinstance(loaded, dict):
        return {str(k): _plain(v) for k, v in loaded.items()}
    if isinstance(loaded, (list, tuple)):
        return [_plain(v) for v in loaded]
    if isinstance(loaded, int) and not isinstance(loaded, bool):
        return loaded
    return None


STRICT_PARSER = StrictParser()


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint reading its arguments with the kit's :data:`STRICT_PARSER`."""

    ARGUMENTS_PARSER = STRICT_PARSER
