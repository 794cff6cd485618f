"""The demo generator: realistic synthetic households and members with valid ID numbers, bulk-loaded, enrolled
for 2022 as each document says, with contributions posted to the ledger."""

from collections import Counter

from django.db.models import Sum

from mutualaid.enrolment import demo, participation
from mutualaid.enrolment.models import Contribution, EnrolledMember, Enrolment, Household, Member, Village
from mutualaid.enrolment_index.models import EnrolledPerson
from mutualaid.funds.models import JournalEntry
from mutualaid.platform import crypto, idnumbers
from tests.enrolment.conftest import HAIAN_2022, XINSHENG_2022


def test_generated_people_are_realistic_and_valid():
    generator = demo.Generator("500152116", seed=1, people=600)
    homes = generator.homes(generator.villages())
    people = [p for home in homes for p in home.people]
    assert 600 <= len(people) < 610
    assert all(idnumbers.is_valid(p.id_number) and p.id_number.startswith("500223") for p in people)
    assert len({p.id_number for p in people}) == len(people)
    assert all(idnumbers.parse(p.id_number).sex == p.sex for p in people)
    sizes = Counter(len(home.people) for home in homes)
    assert set(sizes) <= {1, 2, 3, 4, 5, 6} and len(sizes) >= 5
    assert all(home.people[0].relation == "head" for home in homes)
    insurance = Counter(p.insurance for p in people)
    assert insurance["resident"] > insurance["employee"] > 0
    assert any(p.hardship for p in people)


def test_xinsheng_demo_loads_enrols_and_posts(in_xinsheng):
    counts = demo.load_town("500152116", XINSHENG_2022, people=1500)
    assert Village.objects.count() == 16 and Village.objects.filter(joined=True).count() == 16
    assert (
        Member.objects.count() == counts["members"]
        and Household.objects.filter(head__isnull=True).count() == 0
    )
    member = Member.objects.order_by("?").first()
    assert idnumbers.is_valid(crypto.decrypt(member.id_number_encrypted))
    assert crypto.lookup_hash(crypto.decrypt(member.id_number_encrypted)) == member.id_hash
    found = participation.participation(XINSHENG_2022)
    assert found.person_share.met and found.enrolled_people == EnrolledMember.objects.count()
    # dibao members' person share is paid by the town
    dibao = EnrolledMember.objects.filter(member__hardship_categories__contains=["dibao"]).first()
    if dibao:
        assert "person" not in dibao.due_by_source
    due = Enrolment.objects.aggregate(s=Sum("due_fen"))["s"]
    assert Contribution.objects.aggregate(s=Sum("amount_fen"))["s"] == due
    assert JournalEntry.objects.filter(reference__startswith="demo:enrolment:").count() == 32
    assert (
        EnrolledPerson.objects.filter(town_code="500152116", scheme_year=2022).count()
        == found.enrolled_people
    )


def test_haian_demo_meets_the_village_and_household_targets(dagong, in_town):
    in_town(dagong)
    demo.load_town("320685107", HAIAN_2022, people=2500)
    found = participation.participation(HAIAN_2022)
    assert found.village_share.met and found.household_share_in_joined.met
    assert not EnrolledMember.objects.filter(member__hardship_categories__len__gt=0).exists()
    assert not Enrolment.objects.filter(household__village__joined=False).exists()


def test_the_demo_step_is_idempotent(dagong, in_town):
    in_town(dagong)
    demo.load_town("320685107", HAIAN_2022, people=300)
    before = Member.objects.count()
    demo.demo_town_enrolment(dagong)
    assert Member.objects.count() == before
