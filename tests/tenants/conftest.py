import pytest

from mutualaid.platform.regions.importer import ensure_seed_regions
from mutualaid.platform.regions.models import Township


@pytest.fixture
def haizhen(db):
    """海安镇: a township of 海安市 that is not onboarded in the shared test session."""
    ensure_seed_regions()
    return Township.objects.get(code="320685100")
