def demo_town_enrolment(town) -> None:
    return None
