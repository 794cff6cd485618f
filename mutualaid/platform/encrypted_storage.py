"""A storage for files holding personal data (roster uploads and error reports, claim documents): each file is
encrypted at rest with ``crypto.encrypt_bytes`` (the ID fields' key management) on top of the default storage
(local disk or the S3-compatible bucket), read back decrypted, and on local disk written mode 0600."""

from __future__ import annotations

import os

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.utils.deconstruct import deconstructible

from mutualaid.platform import crypto

FILE_MODE = 0o600


@deconstructible
class EncryptedStorage(Storage):
    @property
    def inner(self) -> Storage:
        return storages["default"]

    def _save(self, name, content):
        content.seek(0) if hasattr(content, "seek") else None
        sealed = crypto.encrypt_bytes(content.read())
        name = self.inner.save(name, ContentFile(sealed))
        try:
            path = self.inner.path(name)
        except NotImplementedError:  # a bucket: private objects, no file mode
            return name
        os.chmod(path, FILE_MODE)
        return name

    def _open(self, name, mode="rb"):
        with self.inner.open(name, "rb") as stored:
            return ContentFile(crypto.decrypt_bytes(stored.read()), name=name)

    def delete(self, name):
        return self.inner.delete(name)

    def exists(self, name):
        return self.inner.exists(name)

    def size(self, name):
        return self.inner.size(name)

    def path(self, name):
        return self.inner.path(name)

    def url(self, name):
        return self.inner.url(name)

    def get_available_name(self, name, max_length=None):
        return self.inner.get_available_name(name, max_length=max_length)

    def generate_filename(self, filename):
        return self.inner.generate_filename(filename)

    def listdir(self, path):
        return self.inner.listdir(path)


def encrypted_storage() -> Storage:
    """The FileFields' storage callable (a callable keeps migrations free of settings)."""
    return _STORAGE


_STORAGE = EncryptedStorage()
