"""The e-mail channel against a real SMTP server (aiosmtpd on 127.0.0.1, started by the tests): a subscription
names an address instead of a URL, its events wait for the daily digest, and the digest, in Chinese with the
English beside it, reaches the server once a day per address."""
from __future__ import annotations

import email
import uuid
from datetime import date
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import func, select

from services.webhooks.digests import compose, send_digests
from services.webhooks.models import Delivery, EmailDigest

from .conftest import API, wait_until
from .test_delivery import free_port, units_in

#: the test server listens on 127.0.0.1 without TLS, so its login goes in the clear: only here
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

DAY = date(2026, 12, 7)


class Mailbox:
    """What the SMTP server accepted: (envelope sender, recipients, the parsed message)."""

    def __init__(self):
        self.received: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def messages_to(self, address: str) -> list:
        return [m for _, rcpts, m in self.received if address in rcpts]


class Logins:
    """An SMTP server's check of a user and password."""

    def __init__(self, user: str, password: str):
        self.user, self.password = user.encode(), password.encode()
        self.tried: list[bytes] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            self.tried.append(auth_data.login)
            if (auth_data.login, auth_data.password) == (self.user, self.password):
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp(monkeypatch):
    """A real SMTP server on 127.0.0.1 that wants a login, and the environment that names it."""
    mailbox = Mailbox()
    logins = Logins("zhibu", "s3cret")
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=logins,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    for name, value in {"ZHIBU_SMTP_HOST": "127.0.0.1", "ZHIBU_SMTP_PORT": str(port), "ZHIBU_SMTP_TLS": "none",
                        "ZHIBU_SMTP_USER": "zhibu", "ZHIBU_SMTP_PASSWORD": "s3cret",
                        "ZHIBU_SMTP_FROM": "zhibu@zzb.example.cn"}.items():
        monkeypatch.setenv(name, value)
    mailbox.logins = logins
    mailbox.port = port
    yield mailbox
    controller.stop()


def subscribe_mail(world, address: str, under: str = "county", **fields) -> dict:
    body = {"name": fields.pop("name", "邹城市委组织部"), "email": address,
            "event_types": fields.pop("event_types", ["org.unit.*"]), "under": world.units[under]["id"], **fields}
    resp = world.client.post(f"{API}/subscriptions", json=body, headers=world.headers("integration", scope=world.units["city"]["id"]))
    assert resp.status_code == 201, resp.json
    return resp.json


def queued(world, subscription_id: str, status: str) -> int:
    with world.kit.db.Session() as session:
        return session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.subscription_id == subscription_id, Delivery.status == status))


def test_an_e_mail_subscription_gets_one_digest_a_day_of_its_subtree(world, smtp):
    sub = subscribe_mail(world, "zzb@zoucheng.example.cn")
    assert sub["channel"] == "email"
    assert sub["url"] is None
    assert sub["secret"] is None  # nothing is signed: there is no receiver to verify it
    also = subscribe_mail(world, "ZZB@zoucheng.example.cn", name="邹城市委组织部（街道）", under="township")
    units_in(world, "township", 3, "邹城第")
    units_in(world, "other county", 2, "曲阜第")
    assert queued(world, sub["id"], "digest") == 3
    assert queued(world, sub["id"], "pending") == 0  # the delivery loop never POSTs them
    assert world.client.get(f"{API}/subscriptions/{sub['id']}", headers=world.headers()).json["pending"] == 3

    assert send_digests(world.app, DAY) == {"sent": 1, "failed": 0, "events": 3}
    (message,) = smtp.messages_to("zzb@zoucheng.example.cn")  # one message for the address's two subscriptions
    assert smtp.logins.tried == [b"zhibu"]
    assert message["From"] == "zhibu@zzb.example.cn"
    assert "每日摘要 2026-12-07" in message["Subject"]
    assert "daily digest" in message["Subject"]
    body = message.get_content()
    for i in range(3):
        assert f"邹城第 {i}" in body
    assert "曲阜第" not in body
    assert "其他事件 / Other events (3)" in body
    assert "已逾期 / Overdue (0)" in body
    assert queued(world, sub["id"], "digest") == 0
    assert queued(world, also["id"], "digest") == 0
    log = world.client.get(f"{API}/subscriptions/{sub['id']}/deliveries", headers=world.headers()).json["items"]
    assert [(e["event_type"], e["status"], e["response_code"]) for e in log] == [("webhooks.digest", "delivered", 250)]

    units_in(world, "township", 1, "当天稍后")
    assert send_digests(world.app, DAY) == {"sent": 0, "failed": 0, "events": 0}  # once a day per address
    assert len(smtp.received) == 1
    assert send_digests(world.app, date(2026, 12, 8)) == {"sent": 1, "failed": 0, "events": 1}
    assert "当天稍后 0" in smtp.received[-1][2].get_content()


def test_a_digest_the_server_refuses_waits_for_the_next_run(world, smtp, monkeypatch):
    sub = subscribe_mail(world, "zzb@zoucheng.example.cn")
    units_in(world, "township", 2, "支部")
    monkeypatch.setenv("ZHIBU_SMTP_PASSWORD", "wrong")
    assert send_digests(world.app, DAY) == {"sent": 0, "failed": 1, "events": 0}
    assert smtp.received == []
    assert queued(world, sub["id"], "digest") == 2
    log = world.client.get(f"{API}/subscriptions/{sub['id']}/deliveries", headers=world.headers()).json["items"]
    assert log[-1]["status"] == "failed"
    assert "SMTPAuthenticationError" in log[-1]["error"]
    monkeypatch.setenv("ZHIBU_SMTP_PASSWORD", "s3cret")
    assert send_digests(world.app, DAY) == {"sent": 1, "failed": 0, "events": 2}
    with world.kit.db.Session() as session:
        (digest,) = session.scalars(select(EmailDigest)).all()
        assert digest.status == "sent"
        assert digest.error is None


def test_without_an_smtp_server_the_digests_wait(world, monkeypatch):
    monkeypatch.delenv("ZHIBU_SMTP_HOST", raising=False)
    sub = subscribe_mail(world, "zzb@zoucheng.example.cn")
    units_in(world, "township", 1, "支部")
    outcome = send_digests(world.app, DAY)
    assert outcome["sent"] == 0
    assert "ZHIBU_SMTP_HOST" in outcome["error"]
    assert queued(world, sub["id"], "digest") == 1


def test_a_ping_of_an_e_mail_subscription_sends_a_test_message(world, smtp):
    sub = subscribe_mail(world, "zzb@zoucheng.example.cn")
    resp = world.client.post(f"{API}/subscriptions/{sub['id']}/ping", headers=world.headers())
    assert resp.status_code == 200
    assert resp.json["status"] == "delivered"
    (message,) = smtp.messages_to("zzb@zoucheng.example.cn")
    assert "测试邮件" in message["Subject"]
    assert "daily digest" in message.get_content()


@pytest.mark.parametrize("body, field", [
    ({"url": "https://platform.example/hook", "email": "a@b.example"}, "_schema"),  # one of the two
    ({}, "_schema"),
    ({"email": "not an address"}, "email"),
    ({"email": "a" * 250 + "@b.cn"}, "email"),
])
def test_an_e_mail_subscription_names_one_valid_address(world, body, field):
    resp = world.client.post(f"{API}/subscriptions", headers=world.headers(),
                             json={"name": "x", "event_types": ["org.*"], **body})
    assert resp.status_code == 422
    assert field in resp.json["errors"]["json"]


def test_only_admin_and_integration_subscribe_and_the_channel_stays(world):
    headers = world.headers("organizer", scope=world.units["county"]["id"])
    resp = world.client.post(f"{API}/subscriptions", headers=headers,
                             json={"name": "x", "email": "a@b.example", "event_types": ["org.*"]})
    assert resp.status_code == 403
    sub = subscribe_mail(world, "zzb@zoucheng.example.cn")
    etag = world.client.get(f"{API}/subscriptions/{sub['id']}", headers=world.headers()).headers["ETag"]
    moved = world.client.patch(f"{API}/subscriptions/{sub['id']}", json={"url": "https://platform.example/hook"},
                               headers=world.headers(**{"If-Match": etag}))
    assert moved.status_code == 422
    changed = world.client.patch(f"{API}/subscriptions/{sub['id']}", json={"email": "dept@zoucheng.example.cn"},
                                 headers=world.headers(**{"If-Match": etag}))
    assert changed.status_code == 200
    assert changed.json["email"] == "dept@zoucheng.example.cn"


def deadline(type_: str, name: str, due_on: str, days_left: int) -> dict:
    return {"id": str(uuid.uuid4()), "type": type_, "version": 1, "occurred_at": "2026-12-07T06:00:00+08:00",
            "source": type_.split(".")[0], "org_path": "/1/2/3/", "correlation_id": None, "actor": "job",
            "data": {"rule": "MEMBERS.TALK_DEADLINE", "kind": "talk", "subject_type": "person",
                     "subject_id": str(uuid.uuid4()), "subject_name": name, "unit_id": str(uuid.uuid4()),
                     "responsible_unit_id": None, "due_on": due_on, "days_before": 7 if days_left >= 0 else None,
                     "days_left": days_left, "as_of": "2026-12-07",
                     "message_zh": f"应在{due_on}前与{name}谈话", "message_en": f"the talk with {name} is due by {due_on}"}}


def test_the_digest_lists_what_is_overdue_then_what_falls_due_then_the_other_events():
    events = [
        {"id": str(uuid.uuid4()), "type": "org.unit.created", "version": 1, "occurred_at": "2026-12-07T02:15:00+00:00",
         "source": "org", "org_path": "/1/2/3/9/", "correlation_id": None, "actor": "x",
         "data": {"id": str(uuid.uuid4()), "name": "邹城第一党支部"}},
        deadline("members.deadline.approaching", "李四", "2026-12-14", 7),
        deadline("members.deadline.overdue", "张三", "2026-12-06", -1),
        deadline("members.deadline.overdue", "王五", "2026-11-30", -7),
    ]
    digest = compose(DAY, [("邹城市委组织部", "/1/2/3/")], events)
    assert digest.counts == {"overdue": 2, "approaching": 1, "other": 1}
    assert "逾期 2 项" in digest.subject
    assert "2 overdue" in digest.subject
    body = digest.body
    order = [body.index(text) for text in ("已逾期 / Overdue (2)", "王五", "张三", "即将到期 / Due soon (1)", "李四",
                                            "其他事件 / Other events (1)", "邹城第一党支部")]
    assert order == sorted(order)
    assert "应在2026-11-30前与王五谈话" in body
    assert "the talk with 王五 is due by 2026-11-30" in body
    assert "已逾期 7 天 / 7 days overdue" in body
    assert "还剩 7 天 / 7 days left" in body
    assert "12-07 10:15 · org.unit.created · 邹城第一党支部" in body  # the time in Asia/Shanghai


def test_smtp_settings_come_from_the_environment():
    from services.webhooks.mail import MailNotConfigured, SmtpSettings

    with pytest.raises(MailNotConfigured):
        SmtpSettings.from_env({})
    assert SmtpSettings.from_env({"ZHIBU_SMTP_HOST": "smtp.example.cn"}).port == 587
    assert SmtpSettings.from_env({"ZHIBU_SMTP_HOST": "smtp.example.cn", "ZHIBU_SMTP_TLS": "ssl"}).port == 465
    with pytest.raises(ValueError):
        SmtpSettings.from_env({"ZHIBU_SMTP_HOST": "smtp.example.cn", "ZHIBU_SMTP_TLS": "starttls?"})


def test_the_digest_reaches_the_server_through_the_daily_job(world, smtp):
    """The job as the worker runs it: claimed once for the day, then sent."""
    from shared.worker import JobLoop

    subscribe_mail(world, "zzb@zoucheng.example.cn")
    units_in(world, "township", 1, "支部")
    loop = JobLoop(world.app, world.kit.jobs)
    (job,) = [j for j in world.kit.jobs if j.name == "webhooks-digest"]
    assert loop.run_job(job, DAY) is True
    assert loop.run_job(job, DAY) is False  # the day is claimed: a second worker sends nothing
    wait_until(lambda: len(smtp.received) == 1, what="the digest")


def test_deadline_reminders_of_the_subtree_reach_the_digest(world, smtp):
    """The services' reminders (real catalog events, through the consumer's fan-out) in the digest's first
    two parts; the next county's are not in it."""
    subscribe_mail(world, "zzb@zoucheng.example.cn", event_types=["*.deadline.*", "org.unit.*"])
    branch = world.unit("邹城第一党支部", "branch", "township")
    elsewhere = world.unit("曲阜第一党支部", "branch", "other county")
    for unit, name, type_, due_on, days_left in (
            (branch, "张三", "members.deadline.overdue", date(2026, 12, 6), -1),
            (branch, "李四", "members.deadline.approaching", date(2026, 12, 14), 7),
            (elsewhere, "王五", "members.deadline.overdue", date(2026, 12, 1), -6)):
        data = deadline(type_, name, due_on.isoformat(), days_left)["data"]
        data.update(unit_id=unit["id"], due_on=due_on, as_of=DAY)
        assert world.apply(type_, data, unit["path"])
    assert send_digests(world.app, DAY)["sent"] == 1
    (message,) = smtp.messages_to("zzb@zoucheng.example.cn")
    assert "逾期 1 项，即将到期 1 项，其他事件 1 条" in message["Subject"]
    body = message.get_content()
    assert body.index("张三") < body.index("李四") < body.index("邹城第一党支部")
    assert "应在2026-12-06前与张三谈话" in body
    assert "the talk with 李四 is due by 2026-12-14" in body
    assert "王五" not in body
