from django.db import connection

from mutualaid.platform.audit.models import AuditEvent


def test_shared_town_schema_is_usable(in_dagong):
    assert connection.schema_name == "town_320685107"
    AuditEvent.objects.create(action="x", object_type="t", object_id="1")
    assert AuditEvent.objects.count() == 1
