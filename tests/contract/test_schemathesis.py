"""Property-based test of the API contract (issue 11): Schemathesis against the gateway's merged OpenAPI
document, every operation, once with a province-wide admin token and once with a county organizer's.

For each generated request (valid ones and ones the schema forbids) it asserts: no 5xx; the answer conforms to
the schema and the content type its operation declares for that status; and no 2xx for a request the schema
forbids (negative data is rejected). Bounded to a few minutes on the embedded default (SQLite, embedded bus, in
this process); the long run on PostgreSQL + RabbitMQ is ``python -m tests.contract.long_run``, which runs this
module with ``ZHIBU_CONTRACT_INFRA=1`` (the suite on PostgreSQL databases and the broker, with its workers),
``ZHIBU_CONTRACT_EXAMPLES`` (requests per operation and token in the fuzzing phase; 12 here) and
``ZHIBU_CONTRACT_SEED`` (a seed instead of the fixed derandomized run).

The document is built when the module is collected (Schemathesis makes one test per operation from it; its
fixture-loaded schemas do not run under this pytest), by the function the gateway merges with; the first test
checks that the running gateway serves that same document.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import hypothesis
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    _has_other_negated_location,
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
)

from tests.conftest import service_config
from tests.contract.suite import merged_document

#: bodies that are text whatever value they are given: a CSV or NDJSON import is a string, and a "number" or
#: "object" Schemathesis puts there as negative data goes out as that string (``3.0``), a valid body
TEXT_BODIES = ("text/csv", "application/x-ndjson")
schemathesis.serializer.alias(list(TEXT_BODIES), "text/plain")


@schemathesis.check
def negative_data_rejection_as_sent(ctx, response, case):
    """``negative_data_rejection``, with the exception Schemathesis makes for text/plain bodies (a value that
    is a valid string once sent is no negative data) made for every text body as well."""
    if (case.media_type in TEXT_BODIES and case.meta is not None and case.meta.is_negative_at(ParameterLocation.BODY)
            and not _has_other_negated_location(case, ParameterLocation.BODY)):
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, negative_data_rejection_as_sent]
#: generated requests per operation and token in the fuzzing phase (the examples and coverage phases add theirs)
MAX_EXAMPLES = int(os.environ.get("ZHIBU_CONTRACT_EXAMPLES", "12"))
#: a seed makes another run than the fixed (derandomized) one CI repeats
SEED = os.environ.get("ZHIBU_CONTRACT_SEED")

DOCUMENT = merged_document(
    lambda service: service_config(service, Path(tempfile.gettempdir()), database_url="sqlite://", broker_url="memory://"))
schema = schemathesis.openapi.from_dict(DOCUMENT)
# the bearer token is the test's (an admin's, a county organizer's), never generated nor taken away: a request
# without one is the gateway's 401, which tests/gateway covers
schema.config.generation.update(with_security_parameters=False)

BOUNDED = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=SEED is None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                          HealthCheck.data_too_large])


def seeded(test):
    return test if SEED is None else hypothesis.seed(int(SEED))(test)


def test_the_gateway_serves_the_document_under_test(suite):
    served = suite.client().get("/api/openapi.json")
    assert served.status_code == 200
    assert served.get_json() == DOCUMENT


@schema.parametrize()
@seeded
@BOUNDED
def test_the_gateway_keeps_its_contract_for_a_province_admin(case, suite):
    suite.call(case, "admin", CHECKS)


@schema.parametrize()
@seeded
@BOUNDED
def test_the_gateway_keeps_its_contract_for_a_county_organizer(case, suite):
    suite.call(case, "county", CHECKS)
