"""Claim documents are encrypted at rest and written 0600, like roster files (issue 22 item 2); they read back
as uploaded through the storage."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from django.conf import settings as django_settings

from mutualaid.claims import application
from mutualaid.platform import crypto
from tests.claims.conftest import PDF, stay_data


def test_claim_documents_are_encrypted_and_private_on_disk(scheme, users):
    claim = application.create_claim(scheme.head, stay_data(), actor=users["member"])
    document = application.upload_document(
        claim, "cost_list", PDF, file_name="费用清单.pdf", actor=users["member"]
    )
    media = Path(django_settings.STORAGES["default"]["OPTIONS"]["location"])
    files = [path for path in media.rglob("*") if path.is_file()]
    assert len(files) == 1
    content = files[0].read_bytes()
    assert content.startswith(crypto.FILE_MAGIC) and PDF not in content and b"%PDF" not in content
    assert stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600
    with document.file.open("rb") as handle:
        assert handle.read() == PDF
