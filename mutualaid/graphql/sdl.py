from pathlib import Path

from graphql import print_schema

from mutualaid.graphql.api import platform_schema, town_schema

SDL_DIR = Path(__file__).parent / "schema"


def current_sdl() -> dict[str, str]:
    return {
        "platform": print_schema(platform_schema.graphql_schema) + "\n",
        "town": print_schema(town_schema.graphql_schema) + "\n",
    }
