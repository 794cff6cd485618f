from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "mutualaid.disclosure"
    label = "disclosure"
    verbose_name = "公示"
    town_demo_steps = ("mutualaid.disclosure.demo.demo_town_disclosures",)

    def held_claim_ids(self) -> set[int]:
        """For payouts' gather step (by the app registry, no import): claims held while an objection is open."""
        from mutualaid.disclosure.actions import held_claim_ids

        return held_claim_ids()
