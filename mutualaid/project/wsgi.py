import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutualaid.project.settings")
application = get_wsgi_application()

# What start-up makes and keeps (settings, the apps, both URL confs with the GraphQL schemas: ~340,000 objects)
# lives as long as the process. Loaded now and frozen out of the collector's generations, a full collection walks
# only what requests made instead of pausing some request for all of it (issue 22 item 16: the households page's
# p95 was 2-4 times its p50). Collected first: frozen garbage would never be freed.
for urlconf in (settings.PUBLIC_SCHEMA_URLCONF, settings.TOWN_URLCONF):
    import_module(urlconf)
gc.collect()
gc.freeze()
