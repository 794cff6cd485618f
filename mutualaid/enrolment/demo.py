"""Demo content for the pilot towns: villages, realistic synthetic households and members, and 2022 enrolment and
contributions matching each document. Everything is synthetic (names, ID and phone numbers are made up; ID
numbers are valid, with the county's region prefix and correct check characters).

- 新胜镇 (about 30,000 people, 16 villages and communities): every village decided to join (村办镇管, 全镇推行);
  about 62% of households enrolled in 2022 (target ≥ 50% of people); 低保/特困 members' person share paid by the
  town.
- 大公镇 and 雅周镇 (about 40,000 people each, 18 villages): about two thirds of the villages joined (target ≥ 50%)
  with 村民代表会议决议 in May 2022; about 40% of households in those villages enrolled (target ≥ 30%); the six
  hardship categories do not join.

Bulk-loaded with COPY (a town of 40,000 people loads in a few seconds). Contributions: one Contribution row per
enrolled household for the person share (cash, mobile payment or bank transfer, with a receipt number) and one for
the other sources (transfer from town finance, village collective, charity); to keep the demo fast, the ledger
gets one aggregated entry per village for the person shares and one per village for the other sources, instead
of one entry per household. Idempotent: a town that already has villages is left alone.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from mutualaid.enrolment import rules
from mutualaid.enrolment.models import Village
from mutualaid.enrolment.rules import SHANGHAI
from mutualaid.funds.postings import post_contribution
from mutualaid.platform import crypto, idnumbers
from mutualaid.platform.crypto import mask_phone
from mutualaid.policies.presets import resolve_preset
from mutualaid.policies.selectors import enrolment_terms
from mutualaid.policies.terms import EnrolmentTerms, FundingSource

logger = logging.getLogger(__name__)

SURNAMES = {
    "jiangsu": "顾吴许徐陈王张李周朱季缪仲曹丁储冒韩钱孙沈蒋杨黄陆夏胡",
    "chongqing": "李王张刘陈杨唐蒋周邓何罗胡谢黄曾彭吴徐冉向谭袁赵",
}
MALE = "伟强军平刚勇杰涛明辉建华国庆志文斌浩宇俊鹏飞海林峰云亮成龙福德贵忠全兴"
FEMALE = "芳娟敏静丽艳霞秀英兰凤玲红梅琴燕萍娜婷雪慧佳欣怡桂珍翠莲"
MIDDLE = "小春秋永海玉金德家光明新友长正"
VILLAGE_NAMES = {
    "320685107": "贲庄 孙庄 陈庄 大公 红星 新民 联合 胜利 团结 南湾 北凌 西场 东港 中兴 双楼 仁桥 永兴 旗杆",
    "320685109": "雅周 王垛 邓庄 徐庄 蒋庄 朱垛 青萍 光明 新合 花园 湖滨 白甸 沿口 杨树 大桥 四灶 丁所 刘圩",
    "500152116": "新胜 双河 红光 桂林 群力 三合 五星 永安 长滩 凤鸣 龙门 石板 油坊 白果 新胜社区 场镇社区",
}

# town code → (people, region prefix, village join share, household enrolment share, sequence range)
TOWNS = {
    "320685107": (40_000, "320685", 0.67, 0.42, (0, 333)),
    "320685109": (40_000, "320685", 0.67, 0.40, (333, 666)),
    "500152116": (30_000, "500223", 1.00, 0.62, (0, 1000)),  # 潼南 (old code 500223 on older ID cards)
}
SIZES = (1, 2, 3, 4, 5, 6)
SIZE_WEIGHTS = (12, 26, 25, 20, 11, 6)
HARDSHIP = (
    ("dibao", 0.030),
    ("tekun", 0.006),
    ("low_income", 0.010),
    ("monitored", 0.005),
    ("severe_disability", 0.006),
)


@dataclass
class Person:
    name: str
    id_number: str
    sex: str
    birth_date: date
    relation: str
    phone: str
    insurance: str
    hardship: list[str]
    registered_on: date
    status: str = "active"


@dataclass
class Home:
    number: str
    village_code: str
    address: str
    people: list[Person] = field(default_factory=list)


class Generator:
    def __init__(self, town_code: str, seed: int | None = None, people: int | None = None):
        self.town_code = town_code
        self.people_target, self.region, self.join_share, self.enrol_share, self.sequence_range = TOWNS.get(
            town_code, (3000, town_code[:6], 0.6, 0.5, (0, 1000))
        )
        self.people_target = people or self.people_target
        self.random = random.Random(seed if seed is not None else int(town_code))
        self.surnames = SURNAMES["chongqing" if town_code.startswith("50") else "jiangsu"]
        self.used_ids: set[str] = set()

    def villages(self) -> list[tuple[str, str, bool, date | None]]:
        names = VILLAGE_NAMES.get(self.town_code, "一 二 三 四 五 六 七 八").split()
        result = []
        for n, name in enumerate(names):
            code = f"{self.town_code}{200 + n + 1:03d}"
            full = name if name.endswith("社区") else f"{name}村"
            joined = self.random.random() < self.join_share
            decided = date(2022, 5, 6) + timedelta(days=self.random.randrange(20)) if joined else None
            if self.town_code == "500152116":
                decided = date(2022, 9, 20) + timedelta(days=self.random.randrange(8))
            result.append((code, full, joined, decided))
        return result

    def _given(self, sex: str) -> str:
        pool = MALE if sex == "M" else FEMALE
        if self.random.random() < 0.25:
            return self.random.choice(pool)
        return self.random.choice(MIDDLE + pool) + self.random.choice(pool)

    def _id(self, born: date, sex: str) -> str:
        low, high = self.sequence_range
        while True:
            sequence = self.random.randrange(low, high)
            if (sequence % 2 == 1) != (sex == "M"):
                sequence = sequence + 1 if sequence + 1 < high else sequence - 1
            value = idnumbers.make(self.region, born, sequence)
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def _person(self, surname: str, relation: str, age: int, sex: str | None = None) -> Person:
        sex = sex or self.random.choice("MF")
        born = date(2022 - age, 1, 1) + timedelta(days=self.random.randrange(365))
        roll = self.random.random()
        insurance = "resident" if roll < 0.86 else "employee" if roll < 0.95 else "none"
        hardship = [c for c, p in HARDSHIP if self.random.random() < p]
        phone = ""
        if 18 <= age <= 75 and self.random.random() < 0.8:
            phone = "1" + self.random.choice("35789") + f"{self.random.randrange(10**9):09d}"
        registered = max(born, date(1985, 1, 1)) + timedelta(days=self.random.randrange(0, 200))
        if registered > date(2022, 5, 1):
            registered = born
        status = "active"
        roll = self.random.random()
        if roll < 0.008:
            status = "moved_out"
        elif roll < 0.014:
            status = "deceased"
        return Person(
            surname + self._given(sex), self._id(born, sex), sex, born, relation, phone, insurance, hardship,
            registered, status,
        )  # fmt: skip

    def homes(self, villages) -> list[Home]:
        homes: list[Home] = []
        people = 0
        counters: dict[str, int] = {}
        while people < self.people_target:
            code = self.random.choice(villages)[0]
            counters[code] = counters.get(code, 0) + 1
            home = Home(
                f"{code}-{counters[code]:04d}", code, f"{code[-3:]}村{self.random.randrange(1, 12)}组"
            )
            size = self.random.choices(SIZES, SIZE_WEIGHTS)[0]
            surname = self.random.choice(self.surnames)
            head_age = self.random.randint(28, 82) if size > 1 else self.random.randint(45, 88)
            head_sex = "M" if self.random.random() < 0.85 else "F"
            home.people.append(self._person(surname, "head", head_age, head_sex))
            if size >= 2:
                spouse_age = max(22, head_age + self.random.randint(-4, 3))
                home.people.append(
                    self._person(
                        self.random.choice(self.surnames),
                        "spouse",
                        spouse_age,
                        "F" if head_sex == "M" else "M",
                    )
                )
            for _ in range(size - 2):
                if head_age > 60 and self.random.random() < 0.4:
                    child_age = head_age - self.random.randint(24, 32)
                    home.people.append(self._person(surname, "child", child_age))
                    continue
                if head_age < 55 and self.random.random() < 0.3:
                    home.people.append(
                        self._person(surname, "parent", min(95, head_age + self.random.randint(22, 30)))
                    )
                    continue
                child_age = max(0, head_age - self.random.randint(22, 34))
                relation = "child" if child_age < 40 or self.random.random() < 0.7 else "grandchild"
                home.people.append(self._person(surname, relation, child_age))
            homes.append(home)
            people += size
        return homes


# --- loading ---------------------------------------------------------------------------------------------------


def _copy(cursor, table: str, columns: tuple[str, ...], rows) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["\\N" if v is None else v for v in row])
    buffer.seek(0)
    cursor.copy_expert(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
    )


def _next_ids(cursor, table: str, count: int) -> int:
    """Reserve ``count`` ids of ``table``'s sequence; returns the first."""
    cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
    sequence = cursor.fetchone()[0]
    cursor.execute("SELECT nextval(%s)", [sequence])
    first = cursor.fetchone()[0]
    cursor.execute("SELECT setval(%s, %s)", [sequence, first + count])
    return first


def demo_terms(town) -> EnrolmentTerms | None:
    """The town's published 2022 terms, or the document preset's when no policy is published yet."""
    try:
        return enrolment_terms(2022, date(2022, 10, 1))
    except ValidationError:
        pass
    preset = resolve_preset(town.code)
    if preset is None:
        return None
    v = preset.values
    return EnrolmentTerms(
        None, 0, v.scheme_year, v.fee_per_person_fen, tuple(v.funding_shares), tuple(v.special_groups),  # type: ignore[arg-type]  # presets give every value
        v.register_snapshot_date, v.enrolment_opens, v.enrolment_closes, v.coverage_start, v.coverage_end,  # type: ignore[arg-type]
        v.target_village_share_bp, v.target_household_share_bp, v.target_person_share_bp,
    )  # fmt: skip


def demo_town_enrolment(town) -> None:
    """TOWN_DEMO_STEPS entry (inside the town's schema)."""
    if town.code not in TOWNS or Village.objects.exists():
        return
    terms = demo_terms(town)
    load_town(town.code, terms)


@transaction.atomic
def load_town(
    town_code: str, terms: EnrolmentTerms | None, *, seed: int | None = None, people: int | None = None
) -> dict[str, int]:
    started = datetime.now()
    generator = Generator(town_code, seed, people)
    villages = generator.villages()
    homes = generator.homes(villages)
    persons = [p for home in homes for p in home.people]
    id_tokens = crypto.encrypt_many([p.id_number for p in persons])
    with_phone = [p for p in persons if p.phone]
    phone_tokens = dict(
        zip((id(p) for p in with_phone), crypto.encrypt_many([p.phone for p in with_phone]), strict=True)
    )
    now = datetime.now(tz=SHANGHAI).isoformat()
    counts = {"villages": len(villages), "households": len(homes), "members": len(persons)}
    with connection.cursor() as cursor:
        village_id = {}
        first = _next_ids(cursor, "enrolment_village", len(villages))
        _copy(
            cursor,
            "enrolment_village",
            ("id", "code", "name", "joined", "resolution_date", "created_at"),
            [
                (first + n, c, name, j, d.isoformat() if d else None, now)
                for n, (c, name, j, d) in enumerate(villages)
            ],
        )
        village_id = {c: first + n for n, (c, *_rest) in enumerate(villages)}
        joined = {c for c, _, j, _ in villages if j}
        first_home = _next_ids(cursor, "enrolment_household", len(homes))
        first_member = _next_ids(cursor, "enrolment_member", len(persons))
        member_ids: dict[int, int] = {}
        heads: dict[int, int] = {}
        n = 0
        for h, home in enumerate(homes):
            for person in home.people:
                member_ids[id(person)] = first_member + n
                if person.relation == "head":
                    heads[first_home + h] = first_member + n
                n += 1
        _copy(
            cursor,
            "enrolment_household",
            ("id", "number", "village_id", "head_id", "address", "created_at"),
            (
                (first_home + h, home.number, village_id[home.village_code], None, home.address, now)
                for h, home in enumerate(homes)
            ),
        )
        _copy(
            cursor,
            "enrolment_member",
            (
                "id", "household_id", "name", "id_number_encrypted", "id_hash", "id_masked", "sex", "birth_date",
                "relation", "phone_encrypted", "phone_hash", "phone_masked", "insurance_type", "hardship_categories",
                "registered_on", "status", "created_at", "updated_at",
            ),
            (
                (
                    member_ids[id(p)], first_home + h, p.name, id_tokens[i], crypto.lookup_hash(p.id_number),
                    idnumbers.mask(p.id_number), p.sex, p.birth_date.isoformat(), p.relation,
                    phone_tokens.get(id(p), ""), crypto.lookup_hash(p.phone) if p.phone else "",
                    mask_phone(p.phone) if p.phone else "", p.insurance, "{" + ",".join(p.hardship) + "}",
                    p.registered_on.isoformat(), p.status, now, now,
                )
                for i, (h, p) in enumerate((h, p) for h, home in enumerate(homes) for p in home.people)
            ),
        )  # fmt: skip
        cursor.execute(
            "UPDATE enrolment_household h SET head_id = v.head FROM (SELECT unnest(%s::bigint[]) AS id, "
            "unnest(%s::bigint[]) AS head) v WHERE h.id = v.id",
            [list(heads), list(heads.values())],
        )
        if terms is not None:
            counts |= _enrol(
                cursor, generator, terms, homes, first_home, member_ids, village_id, joined, town_code
            )
    logger.info("演示数据 %s：%s（%.1f 秒）", town_code, counts, (datetime.now() - started).total_seconds())
    return counts


def _enrol(
    cursor, generator, terms, homes, first_home, member_ids, village_id, joined, town_code
) -> dict[str, int]:
    """2022 enrolment of a share of the households of the villages that joined, and their contributions."""
    rng = generator.random
    enrolled_at = datetime.combine(terms.enrolment_closes - timedelta(days=3), time(10), tzinfo=SHANGHAI)
    received_on = terms.enrolment_closes - timedelta(days=2)
    plans = []
    for h, home in enumerate(homes):
        if home.village_code not in joined or rng.random() >= generator.enrol_share:
            continue
        facts = [
            rules.MemberFacts(member_ids[id(p)], p.status, p.registered_on, tuple(p.hardship))
            for p in home.people
        ]
        plan = rules.plan_household(terms, facts)
        if plan.joining:
            plans.append((first_home + h, home, plan))
    if not plans:
        return {"enrolled_households": 0}
    first_enrolment = _next_ids(cursor, "enrolment_enrolment", len(plans))
    stamp = enrolled_at.isoformat()
    _copy(
        cursor,
        "enrolment_enrolment",
        ("id", "household_id", "scheme_year", "policy_id", "policy_version", "member_count", "due_fen",
         "due_by_source", "enrolled_at", "enrolled_by_id"),
        (
            (first_enrolment + n, household_id, terms.scheme_year, terms.policy_id, terms.version, len(plan.joining),
             plan.due_fen, json.dumps(plan.due_by_source), stamp, None)
            for n, (household_id, _home, plan) in enumerate(plans)
        ),
    )  # fmt: skip
    _copy(
        cursor,
        "enrolment_enrolledmember",
        ("enrolment_id", "member_id", "scheme_year", "due_fen", "due_by_source"),
        (
            (
                first_enrolment + n,
                key,
                terms.scheme_year,
                sum(plan.fees[key].values()),
                json.dumps(plan.fees[key]),
            )
            for n, (_h, _home, plan) in enumerate(plans)
            for key in plan.joining
        ),
    )
    hashes = {
        member_ids[id(p)]: crypto.lookup_hash(p.id_number) for _h, home, _p in plans for p in home.people
    }
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS demo_enrolled_person (id_hash varchar(64)) ON COMMIT DROP"
    )
    cursor.execute("TRUNCATE demo_enrolled_person")
    _copy(
        cursor,
        "demo_enrolled_person",
        ("id_hash",),
        ((hashes[key],) for _h, _home, plan in plans for key in plan.joining),
    )
    cursor.execute(
        "INSERT INTO public.enrolment_index_enrolledperson (id_hash, town_code, scheme_year, enrolled_at) "
        "SELECT id_hash, %s, %s, %s FROM demo_enrolled_person ON CONFLICT DO NOTHING",
        [town_code, terms.scheme_year, stamp],
    )
    # Ledger: per village, one entry for the person shares and one for the other sources.
    by_village: dict[str, tuple[dict[str, int], dict[str, int]]] = {}
    for _h, home, plan in plans:
        person, others = by_village.setdefault(home.village_code, ({}, {}))
        for source, fen in plan.due_by_source.items():
            target = person if source == FundingSource.PERSON else others
            target[source] = target.get(source, 0) + fen
    entries: dict[tuple[str, str], int | None] = {}
    for code, (person, others) in sorted(by_village.items()):
        for kind, amounts, method in (("person", person, "cash"), ("others", others, "bank_transfer")):
            if not amounts:
                continue
            try:
                entry = post_contribution(
                    terms.scheme_year,
                    amounts,
                    method=method,
                    reference=f"demo:enrolment:{code}:{kind}",
                    memo=f"{code} 村 2022 年度互助费汇总入账（演示）"
                    if kind == "person"
                    else f"{code} 村 2022 年度镇村及社会配套资金汇总入账（演示）",
                    actor=None,
                    received_on=received_on,
                )
                entries[(code, kind)] = entry.pk
            except ValidationError as exc:  # e.g. the year is closed: keep the roster, skip the ledger
                logger.warning("演示互助费未入账 %s：%s", code, exc.messages)
                entries[(code, kind)] = None
    contributions = []
    methods = ("cash", "mobile_payment", "bank_transfer")
    for n, (_h, home, plan) in enumerate(plans):
        enrolment_id = first_enrolment + n
        person = {s: f for s, f in plan.due_by_source.items() if s == FundingSource.PERSON}
        others = {s: f for s, f in plan.due_by_source.items() if s != FundingSource.PERSON}
        for kind, amounts in (("person", person), ("others", others)):
            if not amounts:
                continue
            method = rng.choices(methods, (60, 35, 5))[0] if kind == "person" else "bank_transfer"
            receipt = f"{town_code[-3:]}-2022-{n + 1:06d}-{'P' if kind == 'person' else 'S'}"
            reference = "" if method == "cash" else f"DEMO{rng.randrange(10**12):012d}"
            contributions.append(
                (enrolment_id, terms.scheme_year, method, receipt, reference, sum(amounts.values()),
                 json.dumps(amounts), received_on.isoformat(), entries.get((home.village_code, kind)), None, stamp)
            )  # fmt: skip
    _copy(
        cursor,
        "enrolment_contribution",
        ("enrolment_id", "scheme_year", "method", "receipt_number", "reference", "amount_fen", "amounts_by_source",
         "received_on", "journal_entry_id", "recorded_by_id", "recorded_at"),
        contributions,
    )  # fmt: skip
    return {
        "enrolled_households": len(plans),
        "enrolled_members": sum(len(plan.joining) for _h, _home, plan in plans),
        "contributions": len(contributions),
        "ledger_entries": sum(1 for v in entries.values() if v),
    }
