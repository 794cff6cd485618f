from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The composition root: settings, URL confs, routing, CLI, demo runner and project-level commands."""

    name = "mutualaid.project"
    label = "project"
    verbose_name = "平台装配"
