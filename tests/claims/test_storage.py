"""Documents are stored through Django's storage API: local disk by default, an S3-compatible bucket when
MUTUALAID_S3_BUCKET is set (checked in a fresh interpreter: settings are read once)."""

import os
import subprocess
import sys

PROBE = """
import django
django.setup()
from django.conf import settings
from django.core.files.storage import storages
storage = storages["default"]
print(type(storage).__name__, storage.bucket_name, storage.endpoint_url,
      storage.default_acl, settings.STORAGES["default"]["BACKEND"])
"""


def test_an_s3_bucket_is_chosen_by_environment_variable():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mutualaid.project.settings",
        "MUTUALAID_S3_BUCKET": "claims-docs",
        "MUTUALAID_S3_ENDPOINT_URL": "https://oss-cn-chengdu.example.com",
        "MUTUALAID_S3_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "MUTUALAID_S3_SECRET_ACCESS_KEY": "secret",
    }
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [
        "S3Storage", "claims-docs", "https://oss-cn-chengdu.example.com", "private", "storages.backends.s3.S3Storage",
    ]  # fmt: skip
