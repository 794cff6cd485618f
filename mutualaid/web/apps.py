from django.apps import AppConfig


class WebConfig(AppConfig):
    """The web console for officials and the members' phone pages (server-rendered, htmx)."""

    name = "mutualaid.web"
    label = "web"
    verbose_name = "网页控制台"

    def ready(self) -> None:
        from mutualaid.web import i18n

        i18n.compile_catalogues()
