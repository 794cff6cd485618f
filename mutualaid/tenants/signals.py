from django.dispatch import Signal

# Sent inside the new town's schema once it is cloned, before the town turns active, with ``town``.
# Domain apps connect seeders here (villages, the default policy); an exception fails the onboarding.
town_provisioned = Signal()
