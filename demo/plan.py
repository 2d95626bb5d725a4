"""A synthetic province, generated without touching any service: units, people, and what branches do.

Everything is drawn from one seeded random generator, so the same size and shares
give the same province. The shares of each situation (a term expired, meetings
skipped, a village with no new member for years, …) are configurable, so that
every report has something to show.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from shared.dates import add_months, add_years
from shared.pii import id_check_digit

#: cities, counties per city, townships per county, branches per township, mean members per branch,
#: and the share of branches whose activity (committees, meetings, training, problems) is filled in
SIZES = {
    "small": dict(cities=1, counties=2, townships=2, branches=6, members=14, activity=1.0),
    "county": dict(cities=1, counties=1, townships=12, branches=20, members=20, activity=1.0),
    "city": dict(cities=1, counties=8, townships=12, branches=25, members=21, activity=0.25),
    "province": dict(cities=16, counties=137, townships=15, branches=160, members=19, activity=0.01),
}

DEFAULT_SHARES = {
    "expired_term": 0.12,        # committee elected long enough ago that its term has run out
    "no_committee": 0.06,        # never elected one
    "short_meetings": 0.12,      # holds about half the meetings it should
    "non_quorate": 0.05,         # some general meetings miss their quorum
    "too_small": 0.04,           # fewer than 3 full members
    "too_large": 0.03,           # more than 50 members
    "no_development": 0.12,      # of villages: nobody admitted for 4+ years
    "secretaries_rotated": 0.6,  # secretaries already through rotation training this year
    "problems": 0.15,            # branches with an open problem
    "overdue_problems": 0.4,     # of those, past their deadline
    "leaders_with_liaison": 0.8,  # county and township leaders keeping a liaison branch
    # how well a branch keeps its work (the rest are middling): only a branch with none of the troubles above can be
    # exemplary or good, so a county shows some five-star and advanced branches, most middle, a few backward
    "exemplary": 0.1,            # every meeting, review, points, training, a satisfied public, heard every quarter
    "good_standing": 0.12,
    "weak_standing": 0.08,
}

#: the troubles that keep a branch from the exemplary and good standings
TROUBLES = ("expired_term", "no_committee", "short_meetings", "non_quorate", "no_development", "too_small")
#: what each standing does through the year: public satisfaction (a range), quantified points per member (a range),
#: the share of its members trained, whether it holds its member review, has a venue, the share of its meetings it
#: skips, the quarters it is heard in
#: (of those ended), whether the county surely screens it (else 85% of the time), its secretary's 述职评议 and whether it keeps a reserve candidate
STANDINGS = {
    "exemplary": dict(satisfaction=(93, 99), points=(62, 70), trained=1.0, review=True, venue=True, skipped=0.0,
                      heard=1.0, screened=True, assessment="good", reserve=True),
    "good": dict(satisfaction=(85, 93), points=(50, 65), trained=0.8, review=True, venue=True, skipped=0.0,
                 heard=1.0, screened=True, assessment="fairly_good", reserve=True),
    "middle": dict(satisfaction=(62, 76), points=(30, 50), trained=0.3, review=False, venue=True, skipped=0.15,
                   heard=0.67, screened=False, assessment="average", reserve=True),
    "weak": dict(satisfaction=(48, 62), points=(10, 30), trained=0.3, review=False, venue=False, skipped=0.3,
                 heard=0.34, screened=False, assessment="poor", reserve=False),
}

CITY_NAMES = ["济南", "青岛", "淄博", "枣庄", "东营", "烟台", "潍坊", "济宁", "泰安", "威海", "日照", "临沂",
              "德州", "聊城", "滨州", "菏泽"]
DOMAINS = [("village", 0.45), ("community", 0.15), ("state_owned_enterprise", 0.05), ("private_enterprise", 0.1),
           ("school", 0.06), ("hospital", 0.03), ("government_agency", 0.08), ("social_organization", 0.03),
           ("public_institution", 0.05)]
DOMAIN_ZH = {"village": "村", "community": "社区", "state_owned_enterprise": "国企", "private_enterprise": "民企",
             "school": "学校", "hospital": "医院", "government_agency": "机关", "social_organization": "社会组织",
             "public_institution": "事业单位"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏建文辉力红飞海鑫波宁晨春雪燕斌峰"


@dataclass
class Unit:
    code: str
    name: str
    kind: str
    parent_code: str | None
    domain: str | None = None
    established_on: date | None = None
    # for branches: what the generator decided about it
    traits: set = field(default_factory=set)


@dataclass
class Person:
    unit_code: str
    name: str
    gender: str
    birth_date: date
    id_number: str
    stage: str
    applied_on: date
    activist_since: date | None = None
    target_since: date | None = None
    probationary_since: date | None = None
    full_member_since: date | None = None

    def as_record(self) -> dict:
        record = {"unit_code": self.unit_code, "name": self.name, "gender": self.gender,
                  "id_number": self.id_number, "stage": self.stage, "applied_on": self.applied_on.isoformat()}
        for key in ("activist_since", "target_since", "probationary_since", "full_member_since"):
            value = getattr(self, key)
            if value is not None:
                record[key] = value.isoformat()
        return record


@dataclass
class Province:
    units: list[Unit]
    people: list[Person]
    shares: dict
    today: date

    @property
    def branches(self) -> list[Unit]:
        return [u for u in self.units if u.kind in ("branch", "joint_branch")]

    def counties(self) -> list[Unit]:
        return [u for u in self.units if u.kind == "county"]


def _pick(rng: random.Random, weighted):
    roll, total = rng.random(), 0.0
    for value, weight in weighted:
        total += weight
        if roll < total:
            return value
    return weighted[-1][0]


def _id_number(rng: random.Random, region: str, born: date, gender: str, seq: int) -> str:
    order = (seq % 500) * 2 + (1 if gender == "male" else 0)
    first17 = f"{region[:6]:0<6}{born:%Y%m%d}{order:03d}"
    return first17 + id_check_digit(first17)


def _person(rng: random.Random, unit: Unit, region: str, seq: int, stage: str, today: date,
            long_ago: bool) -> Person:
    gender = "male" if rng.random() < 0.7 else "female"
    # admission history, backwards from today; a village with no development admitted nobody lately
    if stage == "full":
        full_since = today - timedelta(days=rng.randint(4 * 365 if long_ago else 400, 40 * 365))
        probationary = add_years(full_since, -1)
    elif stage == "probationary":
        probationary = today - timedelta(days=rng.randint(30, 330))
        full_since = None
    else:
        probationary = full_since = None
    if probationary is not None:
        target = probationary - timedelta(days=rng.randint(90, 200))
        activist = add_years(target, -1) - timedelta(days=rng.randint(0, 200))
    elif stage == "target":
        target = today - timedelta(days=rng.randint(20, 200))
        activist = add_years(target, -1) - timedelta(days=rng.randint(0, 100))
    elif stage == "activist":
        target = None
        activist = today - timedelta(days=rng.randint(30, 360))
    else:
        target = activist = None
    applied = (activist or today) - timedelta(days=rng.randint(30, 120))
    born = add_years(applied, -rng.randint(19, 45)) - timedelta(days=rng.randint(0, 364))
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    return Person(unit_code=unit.code, name=name, gender=gender, birth_date=born,
                  id_number=_id_number(rng, region, born, gender, seq), stage=stage, applied_on=applied,
                  activist_since=activist, target_since=target, probationary_since=probationary,
                  full_member_since=full_since)


def generate(size: str = "small", shares: dict | None = None, today: date | None = None, seed: int = 37) -> Province:
    dims = SIZES[size]
    shares = {**DEFAULT_SHARES, **(shares or {})}
    today = today or date.today()
    rng = random.Random(f"{seed}-{size}")
    units: list[Unit] = [Unit("37", "中共山东省委员会", "province", None, established_on=date(1949, 10, 1))]
    people: list[Person] = []
    seq = 0
    cities = CITY_NAMES[:dims["cities"]]
    counties_per_city = [dims["counties"] // len(cities) + (1 if i < dims["counties"] % len(cities) else 0)
                         for i in range(len(cities))]
    for ci, city_name in enumerate(cities):
        city_code = f"37{ci + 1:02d}"
        units.append(Unit(city_code, f"中共{city_name}市委员会", "city", "37"))
        for ki in range(counties_per_city[ci]):
            county_code = f"{city_code}{ki + 1:02d}"
            units.append(Unit(county_code, f"中共{city_name}第{ki + 1}县委员会", "county", city_code))
            for ti in range(dims["townships"]):
                town_code = f"{county_code}{ti + 1:03d}"
                units.append(Unit(town_code, f"{city_name}{ki + 1}县第{ti + 1}镇党委", "township", county_code))
                for bi in range(dims["branches"]):
                    domain = _pick(rng, DOMAINS)
                    code = f"{town_code}{bi + 1:04d}"
                    branch = Unit(code, f"第{ti + 1}镇{DOMAIN_ZH[domain]}第{bi + 1}党支部", "branch", town_code,
                                  domain=domain, established_on=today - timedelta(days=rng.randint(800, 20000)))
                    for trait in ("expired_term", "no_committee", "short_meetings", "non_quorate", "problems"):
                        if rng.random() < shares[trait]:
                            branch.traits.add(trait)
                    if "problems" in branch.traits and rng.random() < shares["overdue_problems"]:
                        branch.traits.add("overdue_problems")
                    if rng.random() < dims["activity"]:
                        branch.traits.add("active")
                    standing_roll = rng.random()
                    roll = rng.random()
                    if roll < shares["too_small"]:
                        full = rng.randint(1, 2)
                    elif roll < shares["too_small"] + shares["too_large"]:
                        full = rng.randint(51, 60)
                    else:
                        full = max(3, min(49, int(rng.gauss(dims["members"], dims["members"] / 2))))
                    long_ago = domain == "village" and rng.random() < shares["no_development"]
                    if long_ago:
                        branch.traits.add("no_development")
                    if full < 3:
                        branch.traits.add("too_small")
                    branch.traits.add(standing_for(standing_roll, branch.traits, shares))
                    units.append(branch)
                    stages = ["full"] * full
                    if not long_ago:
                        stages += rng.choices(["probationary", "target", "activist", "applicant"],
                                              weights=[2, 1, 2, 2], k=max(1, full // 6))
                        if "weak" not in branch.traits:
                            # a branch that keeps developing members admitted someone lately and has someone in line
                            stages += [stage for stage in ("probationary", "target") if stage not in stages]
                    for stage in stages:
                        seq += 1
                        people.append(_person(rng, branch, county_code + "00", seq, stage, today, long_ago))
    return Province(units, people, shares, today)


def standing_for(roll: float, traits: set, shares: dict) -> str:
    """The branch's standing (``STANDINGS``) from its roll: exemplary and good only without a trouble."""
    if roll < shares["weak_standing"]:
        return "weak"
    roll -= shares["weak_standing"]
    if roll < shares["exemplary"] + shares["good_standing"] and not traits & set(TROUBLES):
        return "exemplary" if roll < shares["exemplary"] else "good"
    return "middle"


def standing_of(branch: Unit) -> str:
    return next((s for s in STANDINGS if s in branch.traits), "middle")


def quarters_heard(rng: random.Random, branch: Unit, today: date) -> list[date]:
    """The days a branch's work report was heard this year: in its standing's share of the quarters ended (and the
    current one, once half over)."""
    share = STANDINGS[standing_of(branch)]["heard"]
    days = []
    for quarter in range(4):
        first = date(today.year, 3 * quarter + 1, 1)
        day = first + timedelta(days=rng.randint(20, 60))
        if day <= today and rng.random() < share:
            days.append(day)
    return days


def election_for(rng: random.Random, branch: Unit, full_members: list[dict], today: date) -> dict | None:
    """Seats for a branch's last election (换届) from its full members, or None when it cannot hold one."""
    if "no_committee" in branch.traits or not full_members:
        return None
    years_ago = rng.randint(4, 6) if "expired_term" in branch.traits else rng.randint(0, 2)
    elected_on = today - timedelta(days=years_ago * 365 + rng.randint(10, 300))
    eligible = [m for m in full_members if m["full_member_since"] and date.fromisoformat(m["full_member_since"])
                <= elected_on]
    senior = [m for m in eligible if date.fromisoformat(m["full_member_since"]) <= add_years(elected_on, -1)]
    if not senior:
        return None
    rng.shuffle(eligible)
    secretary = rng.choice(senior)
    others = [m for m in eligible if m is not secretary]
    if len(eligible) >= 7:
        roles = ["organization", "propaganda", "discipline"] + (["deputy_secretary"] if rng.random() < 0.5 else [])
    else:
        roles = ["deputy_secretary"] if others and rng.random() < 0.4 else []
    seats = [{"role": "secretary", "person_id": secretary["person_id"]}]
    seats += [{"role": role, "person_id": m["person_id"]} for role, m in zip(roles, others)]
    return {"elected_on": elected_on.isoformat(), "seats": seats}


def meetings_for(rng: random.Random, branch: Unit, full_count: int, committee_size: int, today: date) -> list[dict]:
    """This year's organizational life up to today: theme days, committee meetings, general meetings, lectures."""
    year_start = date(today.year, 1, 1)
    months = [add_months(year_start, i) for i in range(today.month)]
    plan = []
    for month in months:
        plan.append(("theme_day", month + timedelta(days=rng.randint(0, 20)), "主题党日：学习党的创新理论"))
        if committee_size:
            plan.append(("committee_meeting", month + timedelta(days=rng.randint(0, 25)), "支委会：研究本月工作"))
        if month.month in (1, 4, 7, 10):
            plan.append(("general_meeting", month + timedelta(days=rng.randint(5, 27)), "支部党员大会"))
            plan.append(("party_lecture", month + timedelta(days=rng.randint(5, 27)), "党课：党章学习"))
    meetings = []
    for kind, held_on, topic in plan:
        if held_on > today:
            continue
        if "short_meetings" in branch.traits and rng.random() < 0.5:
            continue
        if rng.random() < STANDINGS[standing_of(branch)]["skipped"]:
            continue
        record = {"type": kind, "held_on": held_on.isoformat(), "topic": topic}
        if kind in ("general_meeting", "committee_meeting"):
            entitled = full_count if kind == "general_meeting" else committee_size
            quorate = not ("non_quorate" in branch.traits and rng.random() < 0.5)
            present = entitled // 2 + 1 + rng.randint(0, max(0, entitled // 2 - 1)) if quorate else entitled // 2
            record.update(entitled=entitled, present=min(entitled, present))
        meetings.append(record)
    return meetings
