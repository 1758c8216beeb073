"""The call a refusal suggests: its arguments with the one value the tool offered instead.

Tools often say what they would accept: "Unknown city 'New York City' for from_city; it is
not in the gazetteer. Did you mean 'New York'?". A small model reads that, and answers the
user with the error (a dev exploration lost three trials of a distance tool so); shown its
own call with the suggestion in place, it calls again. Only a single suggestion is taken,
put where the refused value stood. Where the tool offers several that each complete the
refused value ("'London' is ambiguous: 'London, CA', 'London, GB'"), the call is shown with
each (`offered_arguments`), and choosing is the model's: told only the form ('City, CC'),
a 1.5B explorer passed "City, GB" in 4 trials of one dev exploration, to the end of their
turns.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["offered_arguments", "suggested_arguments"]

_QUOTED = r"""(?:'([^'\n]{1,80})'|"([^"\n]{1,80})")"""
_DID_YOU_MEAN = re.compile(rf"did you mean:?\s*{_QUOTED}(\s*(?:,|or)\s*['\"])?", re.IGNORECASE)
_ANY_QUOTED = re.compile(_QUOTED)


def suggested_arguments(arguments: dict[str, Any], refusal: str) -> dict[str, Any] | None:
    """`arguments` with the refusal's one suggestion ("Did you mean 'New York'?") put in
    place of the value it refused ('New York City', the whole or a part of a string
    argument); None when the refusal suggests no one value or names no value passed."""
    match = _DID_YOU_MEAN.search(refusal)
    if match is None or match.group(3):  # none, or a list of them
        return None
    suggestion = match.group(1) or match.group(2)
    refused = [a or b for a, b in _ANY_QUOTED.findall(refusal[: match.start()])]
    for wrong in sorted(refused, key=len, reverse=True):
        for name, value in arguments.items():
            if isinstance(value, str) and len(wrong) > 1 and wrong in value and wrong != suggestion:
                corrected = dict(arguments)
                corrected[name] = value.replace(wrong, suggestion, 1)
                return corrected
    return None


def offered_arguments(arguments: dict[str, Any], refusal: str) -> list[dict[str, Any]]:
    """`arguments` with each of the values the refusal offers in place of a string argument
    it quotes as refused, where it offers two or more and each begins with the refused
    value ('London' -> 'London, CA', 'London, GB'); [] otherwise."""
    quoted = list(dict.fromkeys(a or b for a, b in _ANY_QUOTED.findall(refusal)))
    for name, value in arguments.items():
        if not isinstance(value, str) or not value.strip() or value not in quoted:
            continue
        offered = [q for q in quoted if q != value and q.casefold().startswith(value.casefold())]
        if len(offered) >= 2:
            return [{**arguments, name: choice} for choice in offered[:5]]
    return []
