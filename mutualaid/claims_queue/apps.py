from django.apps import AppConfig


class ClaimsQueueConfig(AppConfig):
    name = "mutualaid.claims_queue"
    label = "claims_queue"
    verbose_name = "跨镇审核队列"
