"""Issue 11 item 1 for subscriptions, on the real PostgreSQL with real concurrent requests: of two changes or
two deletions sent with the same ETag exactly one wins and the other gets 412 (a deletion that lost the race
included: the record it named is gone)."""
import pytest

from shared.testing import at_once

from .conftest import API, RULES, World

pytestmark = pytest.mark.infra


@pytest.fixture
def pg_world(make_app, pg_url):
    world = World(make_app("webhooks", database_url=pg_url("webhooks"), rules=dict(RULES)))
    world.unit("province", "province")
    return world


def send(world, method, url, etag, body=None):
    return lambda client: client.open(url, method=method, json=body, headers=world.headers(**{"If-Match": etag}))


def test_of_two_subscription_changes_with_one_etag_exactly_one_wins_every_round(pg_world, receiver):
    url = f"{API}/subscriptions/{pg_world.subscribe(receiver().url)['id']}"
    for round_ in range(20):
        etag = pg_world.client.get(url, headers=pg_world.headers()).headers["ETag"]
        first, second = at_once(pg_world.app, send(pg_world, "PATCH", url, etag, {"name": f"甲{round_}"}),
                                send(pg_world, "PATCH", url, etag, {"event_types": ["org.*"], "name": f"乙{round_}"}))
        assert sorted([first.status_code, second.status_code]) == [200, 412], (round_, first.json, second.json)
        winner = first if first.status_code == 200 else second
        now = pg_world.client.get(url, headers=pg_world.headers())
        assert now.json["name"] == winner.json["name"]
        assert now.json["version"] == round_ + 2


def test_of_two_deletions_with_one_etag_one_deletes_and_the_other_is_refused(pg_world, receiver):
    """The loser is 412 when it waited for the winner's row lock, 404 when the winner had committed before it
    looked: never a second 204, never a 5xx."""
    for round_ in range(10):
        url = f"{API}/subscriptions/{pg_world.subscribe(receiver().url)['id']}"
        etag = pg_world.client.get(url, headers=pg_world.headers()).headers["ETag"]
        first, second = at_once(pg_world.app, send(pg_world, "DELETE", url, etag), send(pg_world, "DELETE", url, etag))
        codes = sorted([first.status_code, second.status_code])
        assert codes in ([204, 404], [204, 412]), (round_, first.data, second.data)
        assert pg_world.client.get(url, headers=pg_world.headers()).status_code == 404
