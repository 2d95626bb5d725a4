"""``zhibu demo``: a populated province, loaded through the services' own APIs and events.

Nothing is written into a service's tables directly: units and people go in
through the org and members import endpoints; committees, meetings, training
classes, attendance and problems through their endpoints; the services learn of
each other's records through events, exactly as in production.
"""
from __future__ import annotations

import json
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

import urllib3

from shared.auth import mint_token
from shared.config import Config
from shared.dates import today as shanghai_today

from .plan import (SIZES, STANDINGS, Province, election_for, generate, meetings_for, quarters_heard,
                   standing_of)

__all__ = ["load_demo", "generate", "SIZES"]


class DemoError(RuntimeError):
    pass


class Client:
    """A small JSON client for the gateway that honours Retry-After: on a 429, and on a 503 to a read (a
    service busy past its database's lock timeout); a write answered 503 is reported, not sent again, since
    it may have been applied."""

    def __init__(self, base: str, token: str):
        self.base = base.rstrip("/")
        self.http = urllib3.PoolManager(maxsize=16, retries=False, timeout=urllib3.Timeout(connect=5, read=600))
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body=None, *, raw: bytes | None = None, content_type: str | None = None,
             ok=(200, 201), headers: dict | None = None) -> tuple[int, object]:
        headers = {**self.headers, **(headers or {})}
        data = raw
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, default=str).encode()
            headers["Content-Type"] = "application/json"
        elif content_type:
            headers["Content-Type"] = content_type
        for _ in range(100):
            resp = self.http.request(method, self.base + path, body=data, headers=headers)
            if resp.status == 429 or (resp.status == 503 and method == "GET" and "Retry-After" in resp.headers):
                time.sleep(min(30.0, float(resp.headers.get("Retry-After", "1"))))
                continue
            payload = json.loads(resp.data) if resp.data and resp.headers.get("Content-Type", "").endswith("json") \
                else resp.data
            if ok and resp.status not in ok:
                raise DemoError(f"{method} {path} answered {resp.status}: {str(payload)[:500]}")
            return resp.status, payload
        raise DemoError(f"{method} {path}: still rate-limited or unavailable")

    def pages(self, path: str, limit: int = 1000):
        sep = "&" if "?" in path else "?"
        cursor = None
        while True:
            _, page = self.call("GET", f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return


def _ndjson(records) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False, default=str) for r in records).encode()


def _wait(what: str, check, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise DemoError(f"timed out waiting for {what}")


def _say(message: str) -> None:
    print(f"  demo: {message}", flush=True)


def load(province: Province, client: Client, threads: int = 6) -> dict:
    today = province.today
    year = today.year
    rng = random.Random(f"activity-{len(province.units)}")

    # 1. the tree, through org's import
    for start in range(0, len(province.units), 50_000):
        chunk = province.units[start:start + 50_000]
        records = [{"code": u.code, "name": u.name, "kind": u.kind, "parent_code": u.parent_code,
                    "domain": u.domain, "established_on": u.established_on} for u in chunk]
        _, report = client.call("POST", "/api/org/v1/imports", raw=_ndjson(records),
                                content_type="application/x-ndjson", ok=(200, 201))
        if report.get("error_count"):
            raise DemoError(f"unit import refused: {report['errors'][:5]}")
    ids = {u["code"]: u["id"] for u in client.pages("/api/org/v1/units")}
    _say(f"{len(ids)} units")

    # 2. people, through members' import, once members has learnt of every branch from org's events
    branches = province.branches
    last = ids[branches[-1].code]
    _wait("members to learn the units", lambda: client.call("GET", f"/api/members/v1/people?under={last}&limit=1",
                                                             ok=None)[0] == 200)
    for start in range(0, len(province.people), 20_000):
        records = [p.as_record() for p in province.people[start:start + 20_000]]
        for _attempt in range(60):
            status, report = client.call("POST", "/api/members/v1/imports", raw=_ndjson(records),
                                         content_type="application/x-ndjson", ok=None)
            if status in (200, 201) and not report.get("error_count"):
                break
            unknown_units = all(e.get("field") in ("unit_code", "unit_id") for e in (report or {}).get("errors", []))
            if not unknown_units:
                raise DemoError(f"people import refused: {str(report)[:800]}")
            time.sleep(1)
        else:
            raise DemoError("members never learnt every unit")
    _say(f"{len(province.people)} people")

    active = [b for b in branches if "active" in b.traits]
    expected = {}
    for person in province.people:
        expected[person.unit_code] = expected.get(person.unit_code, 0) + 1

    # 3. committees: from each branch's roll as org knows it (members' events)
    def roster(branch):
        unit_id = ids[branch.code]
        entries = []
        _wait(f"org to learn {branch.code}'s people",
              lambda: len(entries.__setitem__(slice(None), list(client.pages(
                  f"/api/org/v1/units/{unit_id}/roster"))) or entries) >= expected.get(branch.code, 0))
        return branch, entries

    with ThreadPoolExecutor(threads) as pool:
        rosters = dict((b.code, r) for b, r in pool.map(roster, active))
    secretaries: dict[str, str] = {}
    committee_sizes: dict[str, int] = {}
    committees = 0

    def elect(branch):
        full = [m for m in rosters[branch.code] if m["stage"] == "full"]
        election = election_for(random.Random(branch.code), branch, full, today)
        if election is None:
            return branch, None
        status, body = client.call("POST", f"/api/org/v1/units/{ids[branch.code]}/elections", election, ok=None)
        if status not in (200, 201):
            return branch, None  # a rule refused it: the branch stays without a committee, as in life
        return branch, election

    with ThreadPoolExecutor(threads) as pool:
        for branch, election in pool.map(elect, active):
            if election:
                committees += 1
                secretaries[branch.code] = election["seats"][0]["person_id"]
                committee_sizes[branch.code] = len(election["seats"])
    _say(f"{committees} committees elected")

    # 4. this year's meetings
    def meet(branch):
        full = sum(1 for m in rosters[branch.code] if m["stage"] == "full")
        records = meetings_for(random.Random("m" + branch.code), branch, full, committee_sizes.get(branch.code, 0),
                               today)
        for record in records:
            client.call("POST", "/api/org/v1/meetings", {**record, "unit_id": ids[branch.code]})
        return len(records)

    with ThreadPoolExecutor(threads) as pool:
        meetings = sum(pool.map(meet, active))
    _say(f"{meetings} meetings")

    # 5. training: one rotation class per county for its secretaries, one member class per township
    by_county: dict[str, list] = {}
    parent = {u.code: u.parent_code for u in province.units}
    for branch in active:
        by_county.setdefault(parent[parent[branch.code]], []).append(branch)
    last_person = rosters[active[-1].code][-1]["person_id"] if active and rosters[active[-1].code] else None
    if last_person:
        _wait("training to learn the people", lambda: client.call(
            "GET", f"/api/training/v1/people/{last_person}/hours?year={year}", ok=None)[0] == 200)
    start = max(date(year, 1, 5), today - timedelta(days=60))
    attended = 0
    for county_code, county_branches in by_county.items():
        county_secretaries = [secretaries[b.code] for b in county_branches if b.code in secretaries]
        rotated = {secretaries[b.code]: 1.0 if standing_of(b) != "weak" else province.shares["secretaries_rotated"]
                   for b in county_branches if b.code in secretaries}
        if county_secretaries:
            attended += _class(client, ids[county_code], "secretary_rotation", "书记轮训班", start, county_secretaries,
                               rotated.get, rng, hours=(8, 8, 8, 8, 8, 8, 8))
        townships: dict[str, list] = {}
        for branch in county_branches:
            townships.setdefault(parent[branch.code], []).append(branch)
        for town_code, town_branches in townships.items():
            people = [m["person_id"] for b in town_branches for m in rosters[b.code] if m["stage"] in ("full", "probationary")]
            chance = {m["person_id"]: min(STANDINGS[standing_of(b)]["trained"], 1.0) for b in town_branches
                      for m in rosters[b.code]}
            if people:
                attended += _class(client, ids[town_code], "member_training", "党员集中培训班", start, people,
                                   chance.get, rng, hours=(8, 8, 8, 8))
    _say(f"{attended} attendances")

    # 6. problems found in checks, some already past their deadline
    problems = 0
    for branch in active:
        if "problems" not in branch.traits:
            continue
        overdue = "overdue_problems" in branch.traits
        deadline = today - timedelta(days=rng.randint(5, 60)) if overdue else today + timedelta(days=rng.randint(20, 90))
        client.call("POST", "/api/evaluation/v1/problems", {
            "unit_id": ids[branch.code], "year": year, "source": rng.choice(["self_check", "inspection", "review"]),
            "description": rng.choice(["组织生活会不规范", "党员发展工作滞后", "活动阵地不达标", "台账资料不完整"]),
            "responsible": "支部书记", "measures": "限期整改，上级党组织跟踪督办", "deadline": deadline.isoformat()})
        problems += 1
    _say(f"{problems} problems")

    # 7. how each branch keeps its work through the year (its standing): venue, member review, points, the public's
    # satisfaction, hearings, the county's screening, the secretary's 述职评议 and the reserve pool
    counts = _standing(province, client, ids, rosters, secretaries, active, rng, threads)

    # 8. ratings: recompute the province and publish each county's batch, then the demonstration branches
    time.sleep(3)  # let evaluation apply the last events
    _wait("evaluation to apply the year's records", lambda: _applied(client, ids, active, rosters, secretaries, year),
          120)
    client.call("POST", "/api/evaluation/v1/assessments/recompute", {"under": ids["37"], "year": year})
    published = 0
    for county in province.counties():
        status, _ = client.call("POST", "/api/evaluation/v1/ratings", {"region_id": ids[county.code], "year": year},
                                ok=None)
        published += status in (200, 201)
    _say(f"ratings published for {published} counties")
    counts["exemplars"] = _exemplars(client, ids, year, rng)

    # 9. leaders of each county and township committee, most keeping a liaison branch under their committee
    leaders = points = 0
    committees_above = [u for u in province.units if u.kind in ("county", "township")]
    for unit in committees_above:
        under = [b for b in active if unit.code in (parent[b.code], parent[parent[b.code]])]
        for role, title in (("secretary", "书记"), ("deputy_secretary", "副书记"), ("member", "委员")):
            _, leader = client.call("POST", "/api/org/v1/leaders", {
                "unit_id": ids[unit.code], "name": f"{unit.name[:4]}{title}", "title": f"{unit.name}{title}",
                "role": role, "since": date(year - 2, 1, 1).isoformat()})
            leaders += 1
            if under and rng.random() < province.shares["leaders_with_liaison"]:
                client.call("POST", "/api/org/v1/liaison-points", {
                    "leader_id": leader["id"], "unit_id": ids[rng.choice(under).code],
                    "since": date(year - 1, 3, 1).isoformat()})
                points += 1
    _say(f"{leaders} leaders, {points} liaison points")
    return {"units": len(ids), "people": len(province.people), "committees": committees, "meetings": meetings,
            "attendances": attended, "problems": problems, **counts, "leaders": leaders, "liaison points": points}


def _standing(province: Province, client: Client, ids: dict, rosters: dict, secretaries: dict, active: list,
              rng: random.Random, threads: int) -> dict:
    """Each active branch as its standing (``plan.STANDINGS``) keeps it: the records evaluation's scorecard and the
    standing mechanisms' reports read. Returns what was written."""
    today, year = province.today, province.today.year
    parent = {u.code: u.parent_code for u in province.units}
    counts = {"hearings": 0, "screened": 0, "secretary reports": 0, "reserve candidates": 0}
    campaigns = {}
    for county in province.counties():
        _, campaign = client.call("POST", "/api/org/v1/screenings", {
            "unit_id": ids[county.code], "year": year, "title": f"{year}年度基层党组织全面摸底排查",
            "starts_on": date(year, 3, 1).isoformat() if date(year, 3, 1) <= today else today.isoformat()})
        campaigns[county.code] = campaign["id"]

    def keep(branch) -> dict:
        brng = random.Random("standing" + branch.code)
        plan = STANDINGS[standing_of(branch)]
        unit_id, done = ids[branch.code], {}
        roll = rosters[branch.code]
        members = [m for m in roll if m["stage"] in ("full", "probationary")]
        client.call("PUT", f"/api/org/v1/units/{unit_id}/support", {"has_venue": plan["venue"]} | (
            {"venue_name": "党员活动室", "venue_area_m2": 60} if plan["venue"] else {}),
            headers={"If-Match": f'"{unit_id}.0"'}, ok=(200, 412))
        if plan["review"] and members:
            graded = [m for m in members if m["stage"] == "full"]
            excellent = len(graded) // 4
            client.call("POST", "/api/members/v1/reviews", {
                "unit_id": unit_id, "year": year, "held_on": today.isoformat(),
                "grades": [{"person_id": m["person_id"], "grade": "excellent" if i < excellent else "qualified"}
                           for i, m in enumerate(graded)],
                "not_graded": [m["person_id"] for m in members if m["stage"] == "probationary"]}, ok=(201, 409, 422))
        for m in members:  # the base part (at most 20), the rest for commitments kept (tasks, beside training's)
            points = brng.randint(*plan["points"])
            for source, part in (("base", min(20, points)), ("commitment", points - 20)):
                if part > 0:
                    client.call("POST", "/api/members/v1/points", {
                        "person_id": m["person_id"], "awarded_on": today.isoformat(), "source": source,
                        "points": part, "reference": f"demo-{year}-{source}"}, ok=(201, 409))
        client.call("POST", "/api/evaluation/v1/inputs", {
            "unit_id": unit_id, "year": year, "name": "public_satisfaction",
            "value": brng.randint(*plan["satisfaction"])}, ok=(201, 409))
        secretary = next((m for m in roll if m["person_id"] == secretaries.get(branch.code)), None)
        reporter = secretary["name"] if secretary else "支部书记"
        for day in quarters_heard(brng, branch, today):
            client.call("POST", "/api/org/v1/hearings", {
                "unit_id": unit_id, "committee_unit_id": ids[parent[branch.code]], "held_on": day.isoformat(),
                "reporter": reporter, "points": [{"text": "党员教育管理台账需完善", "problem": plan["assessment"] == "poor"}]})
            done["hearings"] = done.get("hearings", 0) + 1
        if plan["screened"] or brng.random() < 0.85:
            county = parent[parent[branch.code]]
            screened_on = min(today, date(year, 4, 1) + timedelta(days=brng.randint(0, 150)))
            client.call("POST", f"/api/org/v1/screenings/{campaigns[county]}/records", {
                "unit_id": unit_id, "screened_on": screened_on.isoformat(), "screened_by": "县委组织部排查组",
                "findings": {"poor": [{"text": "班子凝聚力不强，组织生活不经常", "problem": True}],
                             "average": [{"text": "“三会一课”记录不够规范", "problem": False}]}.get(plan["assessment"], [])})
            done["screened"] = 1
        if secretary:
            reported = min(today, date(year, 1, 10))
            client.call("POST", "/api/org/v1/secretary-reports", {
                "unit_id": unit_id, "year": year - 1, "secretary_name": reporter,
                "secretary_person_id": secretary["person_id"], "report": f"{year - 1}年度抓基层党建工作述职",
                "reported_on": reported.isoformat(), "assessment": plan["assessment"],
                "assessed_by": "乡镇党委书记抓党建述职评议会", "assessed_on": reported.isoformat()})
            done["secretary reports"] = 1
        seasoned = [m for m in roll if m["stage"] == "full" and m["person_id"] != secretaries.get(branch.code)
                    and m.get("full_member_since") and date.fromisoformat(m["full_member_since"])
                    <= today - timedelta(days=400)]
        if plan["reserve"] and seasoned:
            client.call("POST", f"/api/org/v1/units/{unit_id}/reserve", {
                "person_id": brng.choice(seasoned)["person_id"], "listed_on": today.isoformat(),
                "training": "县委党校村（社区）党组织书记后备人选培训班"}, ok=(201, 409))
            done["reserve candidates"] = 1
        return done

    with ThreadPoolExecutor(threads) as pool:
        for done in pool.map(keep, active):
            for key, value in done.items():
                counts[key] += value
    _say(", ".join(f"{v} {k}" for k, v in counts.items()))
    return counts


def _applied(client: Client, ids: dict, active: list, rosters: dict, secretaries: dict, year: int) -> bool:
    """Whether evaluation has applied the last records of the branch written last (org's and members')."""
    branch = next((b for b in reversed(active) if rosters[b.code]), None)
    if branch is None:
        return True
    status, row = client.call("GET", f"/api/evaluation/v1/units/{ids[branch.code]}/indicators?year={year}", ok=None)
    return (status == 200 and (row["indicators"]["points.average"] or 0) > 0
            and row["evidence"]["has_venue"] is not None
            and (branch.code not in secretaries or row["indicators"]["reports.secretary_grade"] is not None))


def _exemplars(client: Client, ids: dict, year: int, rng: random.Random) -> int:
    """Each county's five-star advanced branches named demonstration branches, and an advanced example beside."""
    _, ledger = client.call("GET", f"/api/evaluation/v1/ledgers?year={year}&under={ids['37']}")
    made = 0
    for county in ledger["counties"]:
        for entry in county["advanced"]:
            if entry["stars"] == 5:
                client.call("POST", "/api/evaluation/v1/exemplars", {
                    "kind": "demonstration", "unit_id": entry["unit_id"], "year": year,
                    "recognised_for": "“三会一课”规范，党员教育管理扎实，服务群众成效明显"}, ok=(201, 409))
                made += 1
        fours = [e for e in county["advanced"] if e["stars"] == 4]
        if fours:
            client.call("POST", "/api/evaluation/v1/exemplars", {
                "kind": "advanced_example", "unit_id": rng.choice(fours)["unit_id"], "year": year,
                "subject_name": "支部书记", "recognised_for": "带领党员群众发展特色产业，村集体收入明显增加"})
            made += 1
    return made


def _class(client: Client, organizer_id: str, kind: str, title: str, start: date, people: list[str], share,
           rng: random.Random, hours: tuple) -> int:
    """A class for ``people``; each attends every session with the chance ``share(person)``."""
    sessions = []
    for i, h in enumerate(hours):
        day = start + timedelta(days=i)
        sessions.append({"title": f"第{i + 1}讲", "starts_at": datetime(day.year, day.month, day.day, 9).isoformat(),
                         "ends_at": datetime(day.year, day.month, day.day, 17).isoformat(), "hours": h})
    _, created = client.call("POST", "/api/training/v1/classes", {
        "kind": kind, "title": title, "organizer_unit_id": organizer_id, "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=len(hours) - 1)).isoformat(), "capacity": len(people),
        "place": "党校", "online": False, "sessions": sessions})
    class_id = created["id"]
    for i in range(0, len(people), 5000):
        client.call("POST", f"/api/training/v1/classes/{class_id}/enrollments", {"person_ids": people[i:i + 5000]})
    attending = [p for p in people if rng.random() < share(p)]
    if not attending:
        return 0
    _, detail = client.call("GET", f"/api/training/v1/classes/{class_id}")
    for session in detail.get("sessions", []):
        for i in range(0, len(attending), 5000):
            client.call("POST", f"/api/training/v1/classes/{class_id}/attendance",
                        {"session_id": session["id"], "person_ids": attending[i:i + 5000]})
    return len(attending) * len(detail.get("sessions", []))


def load_demo(size: str = "small", gateway: str = "http://127.0.0.1:8000", shares: dict | None = None) -> int:
    config = Config.from_env("gateway")
    token = mint_token(config, subject="demo-loader", roles=["admin"], ttl_seconds=12 * 3600)
    province = generate(size, shares, today=shanghai_today())
    print(f"generating the {size} demo province: {len(province.units)} units, {len(province.people)} people",
          flush=True)
    started = time.monotonic()
    try:
        counts = load(province, Client(gateway, token))
    except DemoError as exc:
        print(f"the demo could not be loaded: {exc}", file=sys.stderr)
        return 1
    print(f"demo loaded in {time.monotonic() - started:.0f} s: " + ", ".join(f"{v} {k}" for k, v in counts.items()),
          flush=True)
    return 0
