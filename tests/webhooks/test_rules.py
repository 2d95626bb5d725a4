"""The webhooks rules, as tables: targets, matching, backoff, giving up, the signature."""
import hashlib
import hmac
from datetime import datetime, timedelta, timezone

import pytest

from services.webhooks import rules
from shared import catalog

CONFIG = {**rules.DEFAULTS}


@pytest.mark.parametrize("url, addresses, allowed, refused", [
    ("https://platform.example/hook", ["8.8.8.8"], [], False),
    ("http://platform.example/hook", ["8.8.8.8"], [], True),               # plain http to the internet
    ("http://127.0.0.1:9000/hook", ["127.0.0.1"], [], True),              # loopback not allowed
    ("http://127.0.0.1:9000/hook", ["127.0.0.1"], ["127.0.0.0/8"], False),  # development allow-list
    ("http://10.1.2.3/hook", ["10.1.2.3"], ["10.0.0.0/8"], True),         # http only to loopback
    ("https://10.1.2.3/hook", ["10.1.2.3"], [], True),                    # private address
    ("https://10.1.2.3/hook", ["10.1.2.3"], ["10.0.0.0/8"], False),       # allowed private network
    ("https://rebind.example/hook", ["8.8.8.8", "192.168.1.1"], [], True),  # one private answer is enough
    ("https://169.254.169.254/latest", ["169.254.169.254"], [], True),    # cloud metadata
    ("https://[::1]/hook", ["::1"], [], True),
    ("https://nowhere.invalid/hook", [], [], True),                       # does not resolve
])
def test_target(url, addresses, allowed, refused):
    violation = rules.target_violation(url, addresses, allowed)
    assert (violation is not None) == refused
    if violation:
        assert violation.code == "WEBHOOKS.TARGET"
        assert violation.zh
        assert violation.en


@pytest.mark.parametrize("patterns, event_type, wanted", [
    (["members.stage.*"], "members.stage.changed", True),
    (["members.stage.*"], "members.person.created", False),
    (["org.*"], "org.unit.created", True),
    (["*"], "evaluation.rating.published", True),
    (["org.unit.created", "training.*"], "org.unit.moved", False),
])
def test_wants(patterns, event_type, wanted):
    assert rules.wants(patterns, event_type) is wanted


def test_globs_matching_no_catalog_type_are_named():
    assert rules.unknown_patterns(["org.unit.*", "org.units.*", "webhooks.*"], catalog.CATALOG) == [
        "org.units.*", "webhooks.*"]


@pytest.mark.parametrize("subscription, scope, event, covered", [
    ("/1/2/", "/1/", "/1/2/3/", True),
    ("/1/2/", "/1/", "/1/4/", False),      # the next county
    ("/1/2/", "/1/2/", "/1/2/", True),
    ("/1/2/", "/1/5/", "/1/2/3/", False),  # the subtree left the creator's scope
    ("/1/2/", None, "/1/2/3/", False),     # the creator's scope unit is unknown
    ("/", "/", None, True),                # an event of no unit: province-wide subscriptions only
    ("/1/", "/", None, False),
])
def test_covers(subscription, scope, event, covered):
    assert rules.covers(subscription, scope, event) is covered


@pytest.mark.parametrize("attempt, draw, seconds", [
    (1, 0.0, 15), (1, 0.999999, 30), (2, 0.0, 30), (3, 0.0, 60), (8, 0.0, 1800),
    (9, 0.0, 1800), (9, 0.999999, 3600), (50, 0.5, 2700),  # capped at retry_max_seconds
])
def test_retry_delay_doubles_with_jitter_up_to_the_cap(attempt, draw, seconds):
    assert rules.retry_delay(attempt, draw, CONFIG).total_seconds() == pytest.approx(seconds, abs=0.01)


@pytest.mark.parametrize("failing_for, gives_up", [
    (timedelta(hours=23, minutes=59), False), (timedelta(hours=24), True), (timedelta(hours=47), True)])
def test_gives_up_after_the_retry_window(failing_for, gives_up):
    now = datetime(2026, 12, 5, tzinfo=timezone.utc)
    assert rules.gives_up(now - failing_for, now, CONFIG) is gives_up
    assert rules.gives_up(now - failing_for, now, {**CONFIG, "retry_window_hours": 48}) is False


@pytest.mark.parametrize("status, ok", [(200, True), (204, True), (299, True), (301, False), (410, False),
                                        (500, False), (None, False)])
def test_delivered(status, ok):
    assert rules.delivered(status) is ok


def test_signature_is_hmac_sha256_over_timestamp_dot_body():
    assert rules.signature("s3cret", "1", b"{}") == (
        "v1=" + hmac.new(b"s3cret", b"1.{}", hashlib.sha256).hexdigest())
    assert rules.signature("s3cret", "1", b"{}") != rules.signature("s3cret", "2", b"{}")
