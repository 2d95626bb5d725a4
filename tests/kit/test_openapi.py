"""The OpenAPI document is the contract a client is generated from (shared/openapi.py).

Each service's document and the gateway's merged one: every operation has a stable, unique camelCase
operationId, declares the problem+json answers it may give, the If-Match and Idempotency-Key headers it
reads, its import body, and only numbers as numeric bounds; the documents validate as OpenAPI 3.1.
"""
from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from gateway.openapi import merge_documents
from shared.config import SERVICES
from shared.openapi import IDEMPOTENT_ATTRIBUTE, IF_MATCH_ATTRIBUTE, PROBLEM_MEDIA_TYPE, derive_operation_id

METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture
def documents(make_app):
    apps = {service: make_app(service) for service in SERVICES}
    docs = {service: app.test_client().get(f"/api/{service}/openapi.json").get_json()
            for service, app in apps.items()}
    return apps, docs


def operations(doc):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        _, _, kind, name = node["$ref"].split("/", 3)
        node = doc["components"][kind][name]
    return node


def parameter_names(doc, operation):
    return {resolve(doc, p)["name"] for p in operation.get("parameters", [])}


def every_document(docs):
    yield from docs.items()
    yield "gateway", merge_documents(docs)


# ----------------------------------------------------------------------------- operationId

def test_every_operation_has_a_unique_camel_case_operation_id_in_each_and_in_the_merged_document(documents):
    _, docs = documents
    total = 0
    for name, doc in every_document(docs):
        ids = [(op.get("operationId"), method, path) for method, path, op in operations(doc)]
        assert ids, [(m, p) for i, m, p in ids if not i]
        assert all(i for i, _, _ in ids), [(m, p) for i, m, p in ids if not i]
        bad = [i for i, _, _ in ids if not re.fullmatch(r"[a-z]+(?:[A-Z0-9][a-z0-9]*)*", i)]
        assert not bad, (name, bad)
        seen: dict[str, tuple] = {}
        for operation_id, method, path in ids:
            assert operation_id not in seen, (name, operation_id, seen[operation_id], (method, path))
            seen[operation_id] = (method, path)
        if name == "gateway":
            total = len(ids)
    assert total >= 120


#: names a generated client calls: they must not change (add new operations freely)
STABLE = {
    ("get", "/api/evaluation/v1/units/{unit_id}/assessment"): "getUnitAssessment",
    ("post", "/api/members/v1/people/{person_id}/steps"): "recordStep",
    ("get", "/api/org/v1/units"): "listUnits",
    ("post", "/api/org/v1/units"): "createUnit",
    ("get", "/api/org/v1/units/{unit_id}"): "getUnit",
    ("patch", "/api/org/v1/units/{unit_id}"): "updateUnit",
    ("post", "/api/org/v1/units/{unit_id}/move"): "moveUnit",
    ("post", "/api/org/v1/units/{unit_id}/committee/vacancies"): "recordVacancy",
    ("put", "/api/org/v1/units/{unit_id}/support"): "replaceSupport",
    ("post", "/api/org/v1/imports"): "importUnits",
    ("post", "/api/members/v1/imports"): "importPeople",
    ("post", "/api/members/v1/people"): "createPerson",
    ("get", "/api/members/v1/people"): "listPeople",
    ("get", "/api/training/v1/people"): "listTrainingPeople",
    ("post", "/api/training/v1/rotation-plans/{plan_id}/confirm"): "confirmRotationPlan",
    ("post", "/api/evaluation/v1/assessments/recompute"): "recomputeAssessments",
    ("post", "/api/evaluation/v1/problems/{problem_id}/transitions"): "transitionProblem",
    ("get", "/api/org/v1/audit"): "listOrgAuditEntries",
    ("get", "/api/evaluation/v1/audit"): "listEvaluationAuditEntries",
}


def test_operation_ids_are_the_stable_names_clients_call(documents):
    _, docs = documents
    merged = merge_documents(docs)
    for (method, path), operation_id in STABLE.items():
        assert merged["paths"][path][method]["operationId"] == operation_id, (method, path)


@pytest.mark.parametrize("view, method, path, responses, expected", [
    ("UnitItem", "get", "/units/{unit_id}", {"200": {}}, "getUnit"),
    ("Units", "get", "/units", {"200": {"content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/UnitPage"}}}}}, "listUnits"),
    ("People", "post", "/people", {"201": {}}, "createPerson"),
    ("Classes", "post", "/classes", {"201": {}}, "createClass"),
    ("UnitMove", "post", "/units/{unit_id}/move", {"200": {}}, "moveUnit"),
    ("Recompute", "post", "/assessments/recompute", {"200": {}}, "recomputeAssessments"),
    ("ByElections", "post", "/units/{unit_id}/committee/by-elections", {"200": {}}, "recordByElection"),
    ("ProblemEscalations", "post", "/problems/{problem_id}/escalations", {"200": {}}, "recordProblemEscalation"),
    ("EnrollmentItem", "delete", "/classes/{class_id}/enrollments/{person_id}", {"204": {}}, "deleteEnrollment"),
])
def test_the_derived_operation_id(view, method, path, responses, expected):
    assert derive_operation_id(view, method, path, responses) == expected


# ----------------------------------------------------------------------------- problem+json answers

def test_every_operation_declares_its_problem_answers_with_the_one_problem_schema(documents):
    _, docs = documents
    for name, doc in every_document(docs):
        problem_schemas = [k for k in doc["components"]["schemas"] if k.split(".")[-1] == "Problem"]
        assert problem_schemas, name
        assert not [k for k in doc["components"]["schemas"] if k.split(".")[-1] == "Error"], name  # smorest's
        for method, path, operation in operations(doc):
            responses = operation["responses"]
            expected = {"401", "403", "404", "422", "503"}
            if method != "get":
                expected.add("409")
            if "requestBody" in operation:
                expected.add("413")
            if name == "gateway":
                expected |= {"429", "502"}
            assert expected <= set(responses), (name, method, path, expected - set(responses))
            assert "default" not in responses, (name, method, path)
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    content = resolve(doc, response)["content"]
                    others = [] if status != "422" or not path.endswith("/imports") else [XLSX]   # errors=xlsx
                    assert list(content) in ([PROBLEM_MEDIA_TYPE], [PROBLEM_MEDIA_TYPE, *others]), (
                        name, method, path, status)
                    ref = content[PROBLEM_MEDIA_TYPE]["schema"]["$ref"]
                    assert ref.split("/")[-1].split(".")[-1] == "Problem", (name, method, path, status)
        problem = doc["components"]["schemas"][problem_schemas[0]]
        assert {"type", "title", "status", "detail", "detail_zh", "detail_en", "instance", "request_id", "code",
                "violations", "errors", "current_etag"} <= set(problem["properties"])


def test_an_answered_422_is_what_the_document_declares(documents, auth_headers):
    apps, docs = documents
    resp = apps["org"].test_client().post("/api/org/v1/units", headers=auth_headers(apps["org"]),
                                          json={"kind": "nonsense", "name": "", "code": ""})
    assert resp.status_code == 422
    declared = resolve(docs["org"], docs["org"]["paths"]["/api/org/v1/units"]["post"]["responses"]["422"])
    assert resp.mimetype in declared["content"]
    body = resp.get_json()
    schema = resolve(docs["org"], declared["content"][resp.mimetype]["schema"])
    assert set(schema["required"]) <= set(body)
    assert set(body) <= set(schema["properties"])


# ----------------------------------------------------------------------------- If-Match and Idempotency-Key

def marked_views(app, attribute):
    """(method, OpenAPI path) of every view carrying ``attribute``."""
    found = set()
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        for method in METHODS:
            view = getattr(view_class, method, None) if view_class else None
            if view is not None and getattr(view, attribute, False):
                found.add((method, re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)))
    return found


def test_if_match_and_idempotency_key_are_declared_exactly_where_the_views_need_them(documents):
    apps, docs = documents
    counts = {"If-Match": 0, "Idempotency-Key": 0}
    for service, doc in docs.items():
        if_match = marked_views(apps[service], IF_MATCH_ATTRIBUTE)
        idempotent = marked_views(apps[service], IDEMPOTENT_ATTRIBUTE)
        for method, path, operation in operations(doc):
            names = parameter_names(doc, operation)
            assert ("If-Match" in names) == ((method, path) in if_match), (method, path)
            assert ("Idempotency-Key" in names) == ((method, path) in idempotent), (method, path)
            if "If-Match" in names:
                header = next(resolve(doc, p) for p in operation["parameters"] if resolve(doc, p)["name"] == "If-Match")
                assert header["in"] == "header"
                assert header["required"] is True
                assert {"412", "428"} <= set(operation["responses"]), (method, path)
            else:
                assert "428" not in operation["responses"], (method, path)
            counts["If-Match"] += "If-Match" in names
            counts["Idempotency-Key"] += "Idempotency-Key" in names
    assert counts["If-Match"] >= 20
    assert counts["Idempotency-Key"] >= 25


def test_an_operation_declaring_if_match_answers_428_without_it_and_one_not_declaring_it_does_not(
        documents, auth_headers):
    apps, docs = documents
    org, doc = apps["org"], docs["org"]
    client, admin = org.test_client(), auth_headers(org, "admin")

    def create(kind, code, parent=None):
        resp = client.post("/api/org/v1/units", headers=admin,
                           json={"kind": kind, "name": code, "code": code, **({"parent_id": parent} if parent else {})})
        assert resp.status_code == 201, resp.get_json()
        assert "If-Match" not in parameter_names(doc, doc["paths"]["/api/org/v1/units"]["post"])
        return resp.get_json()["id"]

    province = create("province", "37")
    city = create("city", "3701", province)
    county, other = create("county", "370102", city), create("county", "370103", city)
    calls = [
        ("patch", "/api/org/v1/units/{unit_id}", {"name": "历下区委"}),
        ("post", "/api/org/v1/units/{unit_id}/move", {"parent_id": other}),
        ("post", "/api/org/v1/units/{unit_id}/dissolve", {"dissolved_on": "2026-01-05"}),
        ("put", "/api/org/v1/units/{unit_id}/support", {"has_venue": False}),
    ]
    for method, path, body in calls:
        assert "If-Match" in parameter_names(doc, doc["paths"][path][method]), (method, path)
        resp = client.open(path.format(unit_id=county), method=method.upper(), headers=admin, json=body)
        assert resp.status_code == 428, (method, path, resp.get_json())
        assert resp.mimetype == PROBLEM_MEDIA_TYPE
    assert client.get(f"/api/org/v1/units/{county}", headers=admin).get_json()["name"] == "370102"  # unchanged


# ----------------------------------------------------------------------------- numbers, bodies, validity

NUMERIC_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
                    "maxLength", "minItems", "maxItems")


def numeric_keywords(node, where="$"):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in NUMERIC_KEYWORDS and not isinstance(value, dict):
                yield f"{where}.{key}", value
            yield from numeric_keywords(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from numeric_keywords(value, f"{where}[{i}]")


def test_numeric_bounds_are_numbers_and_exclusive_ends_are_declared(documents):
    _, docs = documents
    for name, doc in every_document(docs):
        bad = [(where, v) for where, v in numeric_keywords(doc)
               if isinstance(v, bool) or not isinstance(v, (int, float))]
        assert not bad, (name, bad)
    fund = docs["org"]["components"]["schemas"]["FundIn"]["properties"]["amount"]
    assert fund["exclusiveMinimum"] == 0
    assert "minimum" not in fund  # Range(min=0, min_inclusive=False)
    support = docs["org"]["components"]["schemas"]["SupportIn"]["properties"]["venue_area_m2"]
    assert [k for k in support if "inimum" in k]
    assert all(type(support[k]) is int for k in support if "inimum" in k)


def test_imports_declare_their_bodies_and_exports_their_files(documents):
    _, docs = documents
    for service, path in (("org", "/api/org/v1/imports"), ("members", "/api/members/v1/imports")):
        operation = docs[service]["paths"][path]["post"]
        assert {"text/csv", "application/x-ndjson"} <= set(operation["requestBody"]["content"]), service
        assert {"413", "415"} <= set(operation["responses"])
        errors = resolve(docs[service], operation["responses"]["422"])
        assert "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" in errors["content"]  # errors=xlsx
        assert "202" in operation["responses"]                                                             # a job
        template = docs[service]["paths"][path + "/template"]["get"]
        assert {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} <= set(
            template["responses"]["200"]["content"])
    exports = 0
    for service, doc in docs.items():
        for method, path, operation in operations(doc):
            formats = [resolve(doc, p) for p in operation.get("parameters", []) if resolve(doc, p)["name"] == "format"]
            if formats and "csv" in formats[0]["schema"].get("enum", ()) and not path.endswith("/template"):
                content = operation["responses"]["200"]["content"]
                assert {"application/json", "text/csv",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} <= set(content), path
                exports += 1
    assert exports >= 3


def test_the_documents_validate_as_openapi_3_1(documents):
    _, docs = documents
    for name, doc in every_document(docs):
        assert doc["openapi"].startswith("3.1"), name
        validate(doc)


# ----------------------------------------------------------------------------- every If-Match view is marked

def _calls_reaching_if_match(package: str) -> dict:
    """{(module, function or Class.method): whether it calls shared.http.if_match / check_if_match, directly or
    through functions of the same service}: a static call graph over the service's modules."""
    import ast
    import importlib
    import pkgutil

    pkg = importlib.import_module(package)
    calls: dict[tuple, set] = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        module = f"{package}.{info.name}"
        tree = ast.parse(open(importlib.import_module(module).__file__, encoding="utf-8").read())
        siblings = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                    and node.level == 1 and node.module is None for alias in node.names}

        def record(name, node):
            targets = calls.setdefault((module, name), set())
            for call in (n for n in ast.walk(node) if isinstance(n, (ast.Call, ast.Attribute, ast.Name))):
                if isinstance(call, ast.Name) and call.id in ("if_match", "check_if_match"):
                    targets.add(("shared.http", "if_match"))
                elif isinstance(call, ast.Name):
                    targets.add((module, call.id))
                elif isinstance(call, ast.Attribute) and isinstance(call.value, ast.Name) \
                        and call.value.id in siblings:
                    targets.add((f"{package}.{call.value.id}", call.attr))

        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                record(node.name, node)
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        record(f"{node.name}.{item.name}", item)
    reaches = {key: ("shared.http", "if_match") in targets for key, targets in calls.items()}
    changed = True
    while changed:
        changed = False
        for key, targets in calls.items():
            if not reaches[key] and any(reaches.get(t) for t in targets):
                reaches[key] = changed = True
    return reaches


@pytest.mark.parametrize("service", SERVICES)
def test_every_view_that_reaches_if_match_is_marked(service):
    import importlib

    reaches = _calls_reaching_if_match(f"services.{service}")
    api = importlib.import_module(f"services.{service}.api")
    wrong, marked = [], 0
    for (module, name), needs in reaches.items():
        if module != api.__name__ or "." not in name:
            continue
        class_name, method = name.split(".")
        if method not in METHODS:
            continue
        has = bool(getattr(getattr(getattr(api, class_name), method), IF_MATCH_ATTRIBUTE, False))
        marked += has
        if has != needs:
            wrong.append((name, "needs @requires_if_match" if needs else "is marked but never calls if_match"))
    assert not wrong
    assert marked
