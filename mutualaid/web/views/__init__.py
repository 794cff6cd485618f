"""The console's views, one module per area; each registers its menu items with ``mutualaid.web.nav``."""
