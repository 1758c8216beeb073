"""A tool that takes a code where users say a name: for the rewording of kept requests."""

_COUNTRIES = {
    "FRA": {"code": "FRA", "name": "France", "capital": "Paris", "languages": ["French"]},
    "JPN": {"code": "JPN", "name": "Japan", "capital": "Tokyo", "languages": ["Japanese"]},
}


def country_info(code: str) -> dict:
    """Facts about a country.

    Args:
        code: The country's ISO 3166-1 alpha-3 code, e.g. 'FRA'.
    """
    if code.upper() not in _COUNTRIES:
        raise ValueError(f"Unknown country code {code!r}. Accepted: {', '.join(_COUNTRIES)}")
    return _COUNTRIES[code.upper()]
