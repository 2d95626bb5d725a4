"""Subscriptions through the API: who may manage them, which targets and event types, the subtree inside
the caller's scope, the secret shown once and stored encrypted, ETags and idempotent creation."""
from sqlalchemy import select

from services.webhooks.models import Subscription
from shared.testing import auth

from .conftest import API


def test_create_shows_the_secret_once_and_stores_it_encrypted(world, receiver):
    sub = world.subscribe(receiver().url, ["org.unit.*", "members.stage.*"], under="county")
    assert sub["secret"].startswith("whsec_")
    assert len(sub["secret"]) > 40
    assert sub["path"] == world.units["county"]["path"]
    assert sub["status"] == "active"
    assert not sub["flagged"]
    again = world.client.get(f"{API}/subscriptions/{sub['id']}", headers=world.headers())
    assert again.status_code == 200
    assert "secret" not in again.json
    assert again.headers["ETag"] == f'"{sub["id"]}.1"'
    listed = world.client.get(f"{API}/subscriptions", headers=world.headers()).json["items"]
    assert [s["id"] for s in listed] == [sub["id"]]
    assert "secret" not in listed[0]
    with world.kit.db.Session() as session:
        stored = session.scalar(select(Subscription.secret))
    assert sub["secret"] not in stored


def test_only_admin_and_integration_manage_subscriptions(world, receiver):
    county = world.units["county"]["id"]
    body = {"name": "p", "url": receiver().url, "event_types": ["org.unit.*"]}
    for role in ("organizer", "secretary", "viewer"):
        headers = world.headers(role, scope=county)
        assert world.client.post(f"{API}/subscriptions", json=body, headers=headers).status_code == 403
        assert world.client.get(f"{API}/subscriptions", headers=headers).status_code == 403
    made = world.client.post(f"{API}/subscriptions", json=body, headers=world.headers("integration", scope=county))
    assert made.status_code == 201
    assert made.json["path"] == world.units["county"]["path"]


def test_an_integration_token_subscribes_only_inside_its_scope(world, receiver):
    url = receiver().url
    county = world.headers("integration", scope=world.units["county"]["id"])
    outside = world.client.post(f"{API}/subscriptions", headers=county,
                                json={"name": "p", "url": url, "event_types": ["org.*"],
                                      "under": world.units["other county"]["id"]})
    assert outside.status_code == 404
    inside = world.subscribe(url, ["org.*"], under="township", headers=county)
    city_wide = world.subscribe(url, ["org.*"], headers=world.headers("integration", scope=world.units["city"]["id"]))
    # each token sees the subscriptions of its subtree, and none above it
    ids = [s["id"] for s in world.client.get(f"{API}/subscriptions", headers=county).json["items"]]
    assert ids == [inside["id"]]
    assert world.client.get(f"{API}/subscriptions/{city_wide['id']}", headers=county).status_code == 404
    other = world.headers("integration", scope=world.units["other county"]["id"])
    assert world.client.get(f"{API}/subscriptions/{inside['id']}", headers=other).status_code == 404


def test_targets_must_be_https_and_public_unless_allowed(world, make_app):
    strict = make_app("webhooks")  # no allow-list: the production default
    client = strict.test_client()
    headers = world.headers()
    admin = auth(strict, "admin")
    for url in ("http://127.0.0.1:9/hook", "https://127.0.0.1/hook", "https://10.0.0.8/hook",
                "https://169.254.169.254/latest/meta-data", "http://8.8.8.8/hook"):
        resp = client.post(f"{API}/subscriptions", headers=admin,
                           json={"name": "p", "url": url, "event_types": ["org.*"]})
        assert resp.status_code == 409, (url, resp.json)
        assert resp.json["code"] == "WEBHOOKS.TARGET", (url, resp.json)
    ok = client.post(f"{API}/subscriptions", headers=admin,
                     json={"name": "p", "url": "https://8.8.8.8/hook", "event_types": ["org.*"]})
    assert ok.status_code == 201
    for url in ("ftp://8.8.8.8/x", "not a url", "https://" + "a" * 2000 + ".example/", "https://8.8.8.8:99999/",
                "https://[abc]/x"):
        resp = world.client.post(f"{API}/subscriptions", headers=headers,
                                 json={"name": "p", "url": url, "event_types": ["org.*"]})
        assert resp.status_code == 422, url
    with world.kit.db.Session() as session:
        assert session.scalar(select(Subscription.id)) is None


def test_event_types_are_globs_over_the_catalog(world, receiver):
    url = receiver().url
    for types in (["org.units.*"], ["webhooks.*"], [], ["ORG.*"], ["a.b.c.d"], ["x" * 300]):
        resp = world.client.post(f"{API}/subscriptions", headers=world.headers(),
                                 json={"name": "p", "url": url, "event_types": types})
        assert resp.status_code == 422, (types, resp.json)
    assert world.subscribe(url, ["members.stage.*", "*", "members.stage.*"])["event_types"] == [
        "members.stage.*", "*"]


def test_changes_need_the_etag_and_resuming_clears_the_flag(world, receiver):
    sub = world.subscribe(receiver().url)
    item = f"{API}/subscriptions/{sub['id']}"
    assert world.client.patch(item, json={"status": "paused"}, headers=world.headers()).status_code == 428
    stale = world.client.patch(item, json={"status": "paused"}, headers=world.headers(**{"If-Match": '"x.0"'}))
    assert stale.status_code == 412
    paused = world.client.patch(item, json={"status": "paused", "event_types": ["org.*"]},
                                headers=world.headers(**{"If-Match": f'"{sub["id"]}.1"'}))
    assert paused.status_code == 200
    assert paused.json["status"] == "paused"
    assert paused.json["version"] == 2
    assert world.client.patch(item, json={"url": "https://10.0.0.1/x"},
                              headers=world.headers(**{"If-Match": paused.headers["ETag"]})).status_code == 409
    with world.kit.db.transaction() as session:
        row = session.get(Subscription, sub["id"])
        row.flagged_at, row.flag_reason = row.updated_at, "failed for 24 h"
        row.version += 1
    flagged = world.client.get(item, headers=world.headers())
    assert flagged.json["flagged"] is True
    active = world.client.patch(item, json={"status": "active"}, headers=world.headers(**{"If-Match": flagged.headers["ETag"]}))
    assert active.json["status"] == "active"
    assert active.json["flagged"] is False
    assert active.json["flag_reason"] is None
    assert world.client.delete(item, headers=world.headers()).status_code == 428
    assert world.client.delete(item, headers=world.headers(**{"If-Match": active.headers["ETag"]})).status_code == 204
    assert world.client.get(item, headers=world.headers()).status_code == 404


def test_a_creating_post_repeated_with_its_key_creates_one_subscription(world, receiver):
    body = {"name": "p", "url": receiver().url, "event_types": ["org.*"]}
    headers = world.headers(**{"Idempotency-Key": "sub-1"})
    first = world.client.post(f"{API}/subscriptions", json=body, headers=headers)
    second = world.client.post(f"{API}/subscriptions", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json["id"] == first.json["id"]
    assert len(world.client.get(f"{API}/subscriptions", headers=world.headers()).json["items"]) == 1


def test_a_subscription_follows_its_unit_when_the_unit_moves(world, receiver):
    sub = world.subscribe(receiver().url, under="township")
    township = world.units["township"]
    other = world.units["other county"]
    moved = {**township, "parent_id": other["id"], "path": other["path"] + township["key"] + "/",
             "unit_version": 2, "old_path": township["path"]}
    world.apply("org.unit.moved", moved, moved["path"])
    assert world.client.get(f"{API}/subscriptions/{sub['id']}", headers=world.headers()).json["path"] == moved["path"]
