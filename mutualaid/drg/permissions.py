"""Who may read the shared catalogues: any signed-in user of any role (anonymous visitors may not)."""

from __future__ import annotations

from mutualaid.platform.accounts.permissions import Rule

READ_CATALOGUE = Rule("read_catalogue", any_signed_in=True)
