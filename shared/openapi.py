"""The OpenAPI document as the contract a client is generated from.

flask-smorest writes each operation's parameters, body and success response; this apispec plugin
(``ContractPlugin``, installed by ``create_service_app``) completes what it cannot know:

- ``operationId``: stable, unique, camelCase, derived from the view (``UnitItem.get`` -> ``getUnit``,
  ``Units.get`` answering a page -> ``listUnits``, ``Units.post`` -> ``createUnit``,
  ``UnitMove.post`` on ``.../move`` -> ``moveUnit``); a view names its own with
  ``@blp.doc(operationId="recordStep")`` where the derived one reads badly;
- the problem+json answers each operation may give (one ``Problem`` schema, ``application/problem+json``):
  401, 403, 404, 422 and 503 on every operation, 409 on writes, 400 (not JSON) and 413 on operations with a body,
  412 and 428 where ``If-Match`` is required, 415 on imports; flask-smorest's own ``Error`` shape,
  which no view answers, is not referenced;
- the ``If-Match`` header on views marked ``@requires_if_match`` (those whose domain code calls
  ``shared.http.if_match``), the ``Idempotency-Key`` header on views decorated with
  ``shared.http.idempotent``;
- numeric bounds as numbers (a ``Decimal`` range gave ``"minimum": "0.00"``) and exclusive bounds as
  ``exclusiveMinimum`` / ``exclusiveMaximum`` (apispec drops ``min_inclusive=False``);
- the body of an import (``text/csv``, ``application/x-ndjson``) and the files an export answers
  (``text/csv``, XLSX) when its query takes ``format``.
"""
from __future__ import annotations

import re
from decimal import Decimal

from apispec import BasePlugin
from marshmallow import fields as ma_fields
from marshmallow import validate

PROBLEM_MEDIA_TYPE = "application/problem+json"
CSV_MEDIA_TYPE = "text/csv"
NDJSON_MEDIA_TYPE = "application/x-ndjson"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

IF_MATCH_ATTRIBUTE = "__zhibu_if_match__"
IDEMPOTENT_ATTRIBUTE = "__zhibu_idempotent__"
GONE_ATTRIBUTE = "__zhibu_gone__"

#: the body every error of a service or the gateway has (shared/errors.py problem_body)
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details. detail is “中文 / English” when the message comes from the "
                   "catalog, with each language also on its own in detail_zh and detail_en.",
    "properties": {
        "type": {"type": "string", "description": "a URI naming the kind of problem, e.g. "
                                                  "https://zhibu.example/problems/precondition-failed"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "detail_zh": {"type": "string"},
        "detail_en": {"type": "string"},
        "instance": {"type": "string", "description": "the path of the request"},
        "request_id": {"type": "string", "description": "the X-Request-Id of the request, for the logs"},
        "code": {"type": "string", "description": "the rule code a 409 names, e.g. ORG.UNIT_NESTING"},
        "violations": {"type": "array", "description": "every rule the change breaks (409)",
                       "items": {"type": "object", "properties": {
                           "code": {"type": "string"}, "zh": {"type": "string"}, "en": {"type": "string"}}}},
        "errors": {"type": ["object", "array"],
                   "description": "invalid fields by location: {\"json\": {\"name\": [\"...\"]}, \"query\": "
                                  "{...}} (422); an org import's rejected lines as [{line, field, message}]"},
        "current_etag": {"type": "string", "description": "the ETag the record has now (412)"},
        "report": {"type": "object", "description": "an import's report: the line and field of each error"},
    },
    "required": ["type", "title", "status"],
}

#: status -> (component name, description)
PROBLEMS = {
    400: ("BadRequest", "The body is not JSON (malformed, or not sent as application/json): detail says where."),
    401: ("Unauthorized", "No valid Bearer token (missing, expired, wrong signature or issuer)."),
    403: ("Forbidden", "The token's roles do not allow this."),
    404: ("NotFound", "No such record, or it lies outside the token's scope (the same answer for both)."),
    409: ("Conflict", "A rule forbids the change (code and violations name it) or it conflicts with an "
                      "existing record. Nothing was written."),
    410: ("Gone", "The cursor lies before the history the service keeps: events after it may be gone. "
                  "Re-sync from the list endpoints, then read the feed again without a cursor."),
    412: ("PreconditionFailed", "If-Match does not carry the record's current ETag: someone changed it "
                                "since you read it. Read it again (current_etag) and re-apply your change."),
    413: ("ContentTooLarge", "The request body is larger than this service accepts."),
    415: ("UnsupportedMediaType", "The body's Content-Type is not one this operation reads."),
    422: ("UnprocessableContent", "Invalid input: errors names each field, by location. Nothing was written."),
    428: ("PreconditionRequired", "This change needs If-Match with the ETag you read."),
    503: ("ServiceUnavailable", "The service's database or broker does not answer; retry after Retry-After "
                               "seconds."),
}

ALWAYS = (401, 403, 404, 422, 503)
IMPORT_422 = "ImportUnprocessableContent"
WRITE_METHODS = ("post", "put", "patch", "delete")

IF_MATCH_PARAMETER = {
    "name": "If-Match", "in": "header", "required": True,
    "description": "The ETag of the record as you read it; 428 without it, 412 when it is not current.",
    "schema": {"type": "string", "minLength": 1},
}
IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "A key of your choosing: the same request sent again with the same key answers the "
                   "first answer (Idempotent-Replayed: true) and writes nothing.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}

#: what an import reads (shared/imports.py format_of): a CSV (UTF-8, or GBK/GB18030 declared by its charset),
#: NDJSON, or an XLSX workbook
IMPORT_BODY = {"required": True, "content": {
    CSV_MEDIA_TYPE: {"schema": {"type": "string"}},
    NDJSON_MEDIA_TYPE: {"schema": {"type": "string"}},
    XLSX_MEDIA_TYPE: {"schema": {"type": "string", "contentEncoding": "binary"}},
}}


# ----------------------------------------------------------------------------- markers used in api.py

def requires_if_match(view):
    """Mark a view whose change needs ``If-Match`` (its domain code calls ``shared.http.if_match``):
    the document declares the header and the 412 and 428 answers."""
    setattr(view, IF_MATCH_ATTRIBUTE, True)
    return view


def answers_gone(view):
    """Mark a view that answers 410 (a change feed's cursor before the kept history)."""
    setattr(view, GONE_ATTRIBUTE, True)
    return view


def needs_if_match(view) -> bool:
    return bool(getattr(view, IF_MATCH_ATTRIBUTE, False))


def is_idempotent(view) -> bool:
    return bool(getattr(view, IDEMPOTENT_ATTRIBUTE, False))


# ----------------------------------------------------------------------------- operationId

def _words(name: str) -> list[str]:
    return re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", name)


def _camel(words: list[str]) -> str:
    return words[0].lower() + "".join(w[:1].upper() + w[1:] for w in words[1:]) if words else ""


def singular(word: str) -> str:
    if word == "People":
        return "Person"
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _is_list(response) -> bool:
    """The answer is a list: a page (``...Page``: items and next_cursor), a ``...List`` or an array."""
    if not isinstance(response, dict):
        return False
    for media in (response.get("content") or {}).values():
        schema = media.get("schema")
        if isinstance(schema, dict) and schema.get("type") == "array":
            return True
        name = schema.get("$ref", "") if isinstance(schema, dict) else getattr(schema, "__name__", "")
        if name.endswith(("Page", "List")):
            return True
    return False


def _path_words(segment: str) -> list[str]:
    return _words("".join(part.title() for part in segment.split("-")))


def derive_operation_id(view_name: str, method: str, path: str, responses: dict) -> str:
    """The operationId a view gets unless it names one (``@blp.doc(operationId=...)``):

    - get: ``list<Class>`` when it answers a list (``Units`` -> ``listUnits``), else ``get<Class>``
      (``UnitItem`` -> ``getUnit``, ``UnitAssessment`` -> ``getUnitAssessment``);
    - patch / put / delete: ``update`` / ``replace`` / ``delete`` + the class;
    - post answering 201: ``create`` + the class in the singular (``People`` -> ``createPerson``);
    - post to an action (``UnitMove`` on ``.../move``): the action, then what it acts on (``moveUnit``;
      ``Recompute`` on ``/assessments/recompute``: ``recomputeAssessments``); to a noun
      (``Vacancies`` on ``.../vacancies``): ``record`` + the noun in the singular (``recordVacancy``).
    """
    words = _words(view_name) or ["Operation"]
    if len(words) > 1 and words[-1] == "Item":
        words = words[:-1]
    if method == "get":
        return _camel(["list" if _is_list(responses.get("200") or responses.get(200)) else "get", *words])
    if method in ("patch", "put", "delete"):
        return _camel([{"patch": "update", "put": "replace", "delete": "delete"}[method], *words])
    if "201" in responses or 201 in responses:
        return _camel(["create", *words[:-1], singular(words[-1])])
    segments = [s for s in path.strip("/").split("/") if s]
    action = _path_words(segments[-1]) if segments else []
    verb = bool(action) and singular(action[-1]) == action[-1]  # .../move, .../confirm; not .../transitions
    if verb and len(words) > len(action) and words[-len(action):] == action:
        return _camel([*action, *words[:-len(action)]])
    parent = segments[-2] if len(segments) > 1 else ""
    if verb and words == action and parent.endswith("s") and not parent.startswith("{"):
        return _camel([*action, *_path_words(parent)])
    return _camel(["record", *words[:-1], singular(words[-1])])


# ----------------------------------------------------------------------------- numeric bounds

def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def numeric_range(self, field, ret=None, **kwargs) -> dict:
    """A marshmallow Range as JSON Schema numbers, exclusive ends included (replaces apispec's field2range
    for numbers: it serialized a Decimal bound as a string and dropped min_inclusive=False)."""
    if not isinstance(field, ma_fields.Number):
        return {}
    out = {}
    for validator in field.validators:
        if not isinstance(validator, validate.Range):
            continue
        low, high = _number(validator.min), _number(validator.max)
        if low is not None:
            key = "minimum" if validator.min_inclusive else "exclusiveMinimum"
            out[key] = max(low, out.get(key, low))
        if high is not None:
            key = "maximum" if validator.max_inclusive else "exclusiveMaximum"
            out[key] = min(high, out.get(key, high))
    if "exclusiveMinimum" in out and "minimum" not in out:
        ret.pop("minimum", None)  # field2range's, from the same validator
    if "exclusiveMaximum" in out and "maximum" not in out:
        ret.pop("maximum", None)
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if key in ret and key not in out and _number(ret[key]) is not None:
            out[key] = _number(ret[key])
    return out


def decimal_as_string(self, field, ret=None, **kwargs) -> dict:
    """A ``Decimal(as_string=True)`` (money, to the fen) is answered as a string: the document says so
    (apispec calls every Decimal a number)."""
    if not isinstance(field, ma_fields.Decimal) or not field.as_string:
        return {}
    return {"type": ["string", "null"] if field.allow_none else "string", "format": "decimal",
            "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}


# ----------------------------------------------------------------------------- the plugin

class ContractPlugin(BasePlugin):
    """Installs the contract in a service's document (see the module's docstring)."""

    def __init__(self, app):
        self.app = app
        self.spec = None

    def init_spec(self, spec):
        self.spec = spec
        spec.components.schema("Problem", PROBLEM_SCHEMA)
        for status, (name, description) in PROBLEMS.items():
            spec.components.response(name, {
                "description": description,
                "content": {PROBLEM_MEDIA_TYPE: {"schema": "Problem"}},
            })
        spec.components.response(IMPORT_422, {
            "description": PROBLEMS[422][1] + " An import: the report names each line's errors; with errors=xlsx "
                           "the answer is the file itself as XLSX, its bad cells marked.",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": "Problem"},
                        XLSX_MEDIA_TYPE: {"schema": {"type": "string", "contentEncoding": "binary"}}},
        })
        spec.components.parameter("IfMatch", "header", dict(IF_MATCH_PARAMETER))
        spec.components.parameter("IdempotencyKey", "header", dict(IDEMPOTENCY_KEY_PARAMETER))
        for plugin in spec.plugins:
            converter = getattr(plugin, "converter", None)
            if converter is not None and hasattr(converter, "add_attribute_function"):
                converter.add_attribute_function(numeric_range)
                converter.add_attribute_function(decimal_as_string)

    def _view(self, rule, method):
        if rule is None:
            return None
        view = self.app.view_functions.get(rule.endpoint)
        view_class = getattr(view, "view_class", None)
        if view_class is not None:
            return getattr(view_class, method, None), view_class.__name__
        return view, getattr(view, "__name__", "")

    def operation_helper(self, path=None, operations=None, rule=None, **kwargs):
        # registered by flask-smorest for its DEFAULT_ERROR response, which no operation refers to any more
        self.spec.components.schemas.pop("Error", None)
        for method, operation in (operations or {}).items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            found = self._view(rule, method)
            view, view_name = found if found else (None, "")
            responses = operation.setdefault("responses", {})
            # flask-smorest's own error shape (Error, application/json): no view answers it
            for code in [c for c, r in responses.items() if isinstance(r, str)]:
                del responses[code]
            if "operationId" not in operation:
                operation["operationId"] = derive_operation_id(view_name or "Operation", method, path or "",
                                                               responses)
            statuses = set(ALWAYS)
            if method in WRITE_METHODS:
                statuses.add(409)
            body = operation.get("requestBody")
            if body is not None:
                statuses.update((400, 413))
                if NDJSON_MEDIA_TYPE in body.get("content", {}):
                    statuses.add(415)
                    responses.setdefault("422", IMPORT_422)
            parameters = operation.setdefault("parameters", [])
            if view is not None and needs_if_match(view):
                statuses.update((412, 428))
                parameters.append("IfMatch")
            if view is not None and getattr(view, GONE_ATTRIBUTE, False):
                statuses.add(410)
            if view is not None and is_idempotent(view):
                parameters.append("IdempotencyKey")
            for status in sorted(statuses):
                responses.setdefault(str(status), PROBLEMS[status][0])
            self._declare_exports(operation)
            if not parameters:
                del operation["parameters"]

    @staticmethod
    def _declare_exports(operation):
        """A list whose query takes ``format`` (json, csv, xlsx) answers that file too."""
        formats = set()
        for parameter in operation.get("parameters", []):
            if isinstance(parameter, dict) and parameter.get("in") == "query" and parameter.get("name") == "format":
                formats.update((parameter.get("schema") or {}).get("enum") or ())
        ok = operation["responses"].get(200) or operation["responses"].get("200")  # smorest's keys are ints
        if not formats or not isinstance(ok, dict):
            return
        content = ok.setdefault("content", {})
        if "csv" in formats:
            content.setdefault(CSV_MEDIA_TYPE, {"schema": {"type": "string"}})
        if "xlsx" in formats:
            content.setdefault(XLSX_MEDIA_TYPE, {"schema": {"type": "string", "contentEncoding": "binary"}})
