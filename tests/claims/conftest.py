"""Fixtures for claims: 新胜镇 with its published 2022 policy (the seed preset), the DRG and ICD catalogue rows the
claims use, an enrolled household, photos and PDFs, and the claims clock set in 2023."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from mutualaid.claims import selectors
from mutualaid.platform import crypto
from mutualaid.platform.accounts.roles import Role
from tests.enrolment.conftest import XINSHENG_OPEN, build, in_town  # noqa: F401 - fixtures
from tests.factories import make_user
from tests.policies.conftest import drg_catalogue  # noqa: F401 - a fixture

SHANGHAI = ZoneInfo("Asia/Shanghai")
FILED_AT = datetime(2023, 3, 20, 9, 30, tzinfo=SHANGHAI)
VILLAGE = "500152116201"
OTHER_VILLAGE = "500152116202"
DIAGNOSES = [
    ("I63.900", "脑梗死"), ("C34.900", "支气管或肺恶性肿瘤"), ("J18.900", "肺炎"), ("K92.200", "胃肠出血"),
    ("I21.900", "急性心肌梗死"), ("C16.900", "胃恶性肿瘤"), ("M17.900", "膝关节病"), ("S72.000", "股骨颈骨折"),
    ("J44.100", "慢性阻塞性肺病伴有急性加重"), ("C50.900", "乳房恶性肿瘤"), ("E11.900", "2型糖尿病"),
    ("A00.000x001", "古典生物型霍乱"),
]  # fmt: skip
PROCEDURES = [
    ("32.4100", "胸腔镜下肺叶切除术"), ("99.2500", "注射或输注癌瘤化学治疗药物"), ("36.0600", "冠状动脉支架置入"),
    ("43.9900", "其他胃全部切除术"), ("81.5400", "全部膝关节置换"), ("85.4100", "单侧单纯乳房切除术"),
]  # fmt: skip


@pytest.fixture
def icd_catalogue(db):
    from mutualaid.drg.models import IcdCode

    for kind, rows in (("diagnosis", DIAGNOSES), ("procedure", PROCEDURES)):
        for code, name in rows:
            IcdCode.objects.get_or_create(edition="医保版2.0", kind=kind, code=code, defaults={"name": name})


@pytest.fixture
def clock():
    """Claims happen in 2023 (2022's scheme year); the clock can be moved with ``clock.set``."""

    class Clock:
        def __init__(self):
            self._cm = None

        def set(self, moment: datetime):
            self.stop()
            self._cm = selectors.clock_at(moment)
            self._cm.__enter__()

        def stop(self):
            if self._cm is not None:
                self._cm.__exit__(None, None, None)
                self._cm = None

    c = Clock()
    c.set(FILED_AT)
    yield c
    c.stop()


@pytest.fixture
def scheme(xinsheng, in_town, build, drg_catalogue, icd_catalogue, clock, _media_in_tmp):  # noqa: F811
    """新胜镇 with its 2022 preset published, two villages and enrolled households."""
    from mutualaid.enrolment import actions as enrolment
    from mutualaid.policies.actions import apply_preset
    from mutualaid.policies.selectors import enrolment_terms

    in_town(xinsheng)
    apply_preset("500152116", None, publish=True)
    terms = enrolment_terms(2022)
    village = build.village(VILLAGE, "石盘村")
    other = build.village(OTHER_VILLAGE, "龙滩村")
    household = build.household(village)
    head = build.member(household, name="王大山", phone="13900001111", region="500223")
    spouse = build.member(household, name="李小红", relation="spouse", phone="13900002222", region="500223")
    other_household = build.household(other)
    neighbour = build.member(other_household, name="赵四", phone="13900003333", region="500223")
    outsider_household = build.household(village)
    outsider = build.member(outsider_household, name="钱五", phone="13900004444", region="500223")
    enrolment.enrol_households([household, other_household], terms, now=XINSHENG_OPEN, actor=None)

    class Scheme:
        town = xinsheng

    s = Scheme()
    s.village, s.other_village = village, other
    s.household, s.head, s.spouse = household, head, spouse
    s.neighbour, s.outsider = neighbour, outsider
    return s


@pytest.fixture
def _media_in_tmp(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }


@pytest.fixture
def users(scheme):
    """One user per role over 新胜镇 (the member is 王大山's household by phone), plus outsiders."""
    from mutualaid.tenants.models import ServiceFirm

    towns = _towns()
    firm, _ = ServiceFirm.objects.get_or_create(name="新胜测试服务机构")
    firm.towns.add(scheme.town)
    other_firm, _ = ServiceFirm.objects.get_or_create(name="别家服务机构")
    other_firm.towns.add(towns["320685107"])
    member = make_user(Role.MEMBER, town=scheme.town)
    member.phone_hash = crypto.lookup_hash("13900002222")  # 李小红, 王大山's spouse
    member.save(update_fields=["phone_hash"])
    stranger = make_user(Role.MEMBER, town=scheme.town)
    stranger.phone_hash = crypto.lookup_hash("13900003333")  # 赵四, another household
    stranger.save(update_fields=["phone_hash"])
    return {
        "member": member,
        "other_member": stranger,
        "coordinator": make_user(Role.VILLAGE_COORDINATOR, town=scheme.town, village_code=VILLAGE),
        "other_coordinator": make_user(
            Role.VILLAGE_COORDINATOR, town=scheme.town, village_code=OTHER_VILLAGE
        ),
        "town_admin": make_user(Role.TOWN_ADMIN, town=scheme.town),
        "town_finance": make_user(Role.TOWN_FINANCE, town=scheme.town),
        "reviewer": make_user(Role.FIRM_REVIEWER, firm=firm),
        "other_firm_reviewer": make_user(Role.FIRM_REVIEWER, firm=other_firm),
        "other_town_admin": make_user(Role.TOWN_ADMIN, town=towns["320685107"]),
        "anonymous": None,
    }


def _towns():
    from tests.conftest import ensure_towns

    return ensure_towns()


def stay_data(**changes) -> dict:
    data = {
        "hospital_name": "潼南区人民医院",
        "hospital_level": "secondary",
        "hospital_designated": True,
        "hospital_mainland": True,
        "admission_date": date(2023, 3, 1),
        "discharge_date": date(2023, 3, 12),
        "inpatient": True,
        "cause": "illness",
        "insurance_type": "resident",
        "total_cost_fen": 3_000_000,
        "insurance_paid_fen": 1_800_000,
        "out_of_pocket_fen": 1_200_000,
        "diagnosis_codes": ["C34.900"],
        "procedure_codes": ["32.4100"],
        "bank_card": "6228480402564890018",
        "bank_name": "农业银行潼南支行",
    }
    data.update(changes)
    return data


def jpeg(size=(64, 48), exif_gps: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    out = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        gps = {1: "N", 2: (29.0, 50.0, 0.0), 3: "E", 4: (105.0, 50.0, 0.0)}
        exif[0x8825] = gps
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), (0, 0, 0)).save(out, format="PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def complete(claim, actor=None):
    """Upload the documents the claim needs."""
    from mutualaid.claims import application

    application.upload_document(claim, "discharge_record", jpeg(), file_name="出院记录.jpg", actor=actor)
    application.upload_document(claim, "cost_list", PDF, file_name="费用清单.pdf", actor=actor)
    if claim.insurance_type != "none":
        application.upload_document(claim, "insurance_statement", png(), file_name="报销单.png", actor=actor)
    return claim
