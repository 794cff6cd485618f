from mutualaid.graphql.sdl import SDL_DIR, current_sdl


def test_committed_sdl_matches_the_code():
    """Regenerate with: mutualaid graphql_sdl --write"""
    for name, sdl in current_sdl().items():
        assert (SDL_DIR / f"{name}.graphql").read_text() == sdl, f"{name}.graphql is out of date"
