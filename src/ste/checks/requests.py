"""Whether a query is a request a person would write (`natural_query`): not JSON or a bare
value, not ste's instruction or memory echoed, not a refusal or an offer to help, not talk
about the tool or its parameters, not about content it does not hold. Exploration asks
again for an imagined request that is not one (`ste.explore.imagine`); distillation keeps
no example whose query is not one (`ste.checks.rules`).
"""

from __future__ import annotations

import json
import re
from difflib import SequenceMatcher
from functools import cache

from ste.checks.verdict import Check
from ste.tools.tool import Tool

# the verdict mark of an exploration memory entry ("- a request (fulfilled: yes)"), which a
# model may copy into its new request
MEMORY_MARK = re.compile(r"\s*\(fulfilled: (?:yes|no|not judged)\)", re.IGNORECASE)

_WORD = re.compile(r"[^\W\d_]{2,}")
_META = re.compile(
    r"\b(?:the|this) (?:\w+ )?tool\b|\b(?:the|a) user\b"
    r"|\blet'?s (?:pretend|try|use|start|explore|test)\b"
    r"|(?<!query )(?<!url )\bparameters?\b"  # not a URL's "query parameters"
    r"|^\W*users?\s+(?:asks?|wants?|needs?|is|would|requests?)\b"
    # what to type into the tool: "I need to input both versions in the format ..."
    r"|\bI (?:need|have|want) to (?:input|enter|feed)\b"
    # what to pass for each parameter: "please provide the input '1700000000' for the value"
    r"|\b(?:provide|use|give|pass) the inputs?\b",
    re.IGNORECASE,
)
# a request about content it does not hold ("the given text", "the attached file"): no call
# can fulfil it, and one that invents the content answers another request
# ("a given CIDR notation", "the provided URL", "a longer text", "a specific date", "my
# document"; not "the following year", a time, nor "a specific cuisine, "french"", which
# gives it)
_ABSENT_CONTENT = re.compile(
    r"\b(?:the|this|a|an|my|some)\s+(?:given|provided|following|attached|above|below|sample"
    r"|longer|random|specific|certain|particular|custom|different)\s+"
    r"(?!(?:years?|months?|weeks?|weekends?|days?|mornings?|evenings?|nights?|hours?|minutes?"
    r"|decades?|times?|ways?)\b)"
    r"[^\W\d_]+\b"
    # the user's own writing, referred to ("the top words in my document")
    r"|\b(?:my|our)\s+(?:own\s+)?(?:documents?|files?|essays?|articles?|texts?|paragraphs?"
    r"|emails?|messages?|reports?|letters?|stor(?:y|ies)|speech|transcripts?|notes)\b",
    re.IGNORECASE,
)
# a value the request names by its kind only ("the factorial of a number", "the distance
# between two cities"): the call can only invent it
_UNSPECIFIED = re.compile(
    r"\b(?:a|an|two|three|some)\s+(?:(?:negative|positive|whole|random|large|small|big"
    r"|decimal)\s+)?(numbers?|integers?|amounts?|dates?|cit(?:y|ies))\b"
    r"(?!\s*(?:of\b|like\b|such as\b|[:(\"']))",
    re.IGNORECASE,
)


def _unspecified(text: str) -> str | None:
    """The value `text` names by its kind only, where it gives none of that kind (no digit
    for a number or a date, no name after the first word for a city), else None."""
    for match in _UNSPECIFIED.finditer(text):
        if match.group(1).casefold().startswith("cit"):
            given = re.search(r"(?<=\s)[A-Z][a-z]", text)
        else:
            given = re.search(r"\d", text)
        if not given:
            return match.group(0)
    return None


# a file named in a request ("the hash of a file named 'example.txt'"): its content is not
# in the request; not part of a URL or a path ("https://x.org/a.html")
_FILE_NAME = re.compile(
    r"(?<![/\\\w.-])[\w-]+\.(?:txt|csv|tsv|pdf|docx?|odt|rtf|json|md|xlsx?|log|html?|xml"
    r"|ya?ml|png|jpe?g|gif|zip|mp3|mp4|wav)\b",
    re.IGNORECASE,
)
_FILE_PARAMETER = re.compile(r"\b(?:files?|paths?|filenames?|urls?|uri|documents?)\b", re.I)


def _file_without_content(text: str, tool: Tool | None) -> str | None:
    """The file `text` names, for a tool none of whose parameters takes a file (a name, a
    path, a URL): the call can only pass the file's name where the tool wants its content
    (a hash of "example.txt", the word counts of a document "example.txt": three times in
    the labelled dev trials, each kept)."""
    named = _FILE_NAME.search(text)
    if named is None or tool is None:
        return None
    for name, schema in tool.parameters.get("properties", {}).items():
        described = f"{name.replace('_', ' ')} {schema.get('description', '')}"
        if _FILE_PARAMETER.search(described):
            return None
    return named.group(0)


_GIVEN_AFTER = re.compile(r"\s*[,:]?\s*[\"\u201c']")  # "a specific cuisine, "french"": given
_CONTENT = re.compile(  # three words or more, quoted or after a colon
    r"[\"\u201c'][^\"\u201d']*?\w+\W+\w+\W+\w+[^\"\u201d']*[\"\u201d']|:\s*\S+\s+\S+\s+\S+"
)
# a reply that declines to write a request, written where the request should be
_REFUSAL = re.compile(
    r"^\W*(?:I'?m sorry|I am sorry|sorry\b|I apologi[sz]e|I (?:cannot|can'?t|am unable)|as an AI)",
    re.IGNORECASE,
)
# a reply that talks to ste about writing a request instead of writing one
_OFFER = re.compile(
    r"\b(?:happy|glad|ready|here) to help\b|\b(?:realistic|next|another) (?:user )?request\b"
    r"|\bcome up with\b|\b(?:I'?ll|I will|let me|I can) (?:help|assist)\b"
    r"|\byour (?:request|query)\b",
    re.IGNORECASE,
)
# the helper's voice: a reply that asks the user for what the request should hold ("Please
# provide the text that you would like me to analyze", "the color that you would like to
# convert", "What would you like to know?"); a user writes "I would like"
# the request asks to be given the content it is about ("Please provide me with some text
# and a metric", "write a paragraph about the weather and count its words"): the helper
# would make up what a user brings
_ASKS_FOR_INPUT = re.compile(
    r"\b(?:provide|give|send|generate|write|create|invent|make up)\s+(?:me\s+|us\s+)?"
    r"(?:with\s+)?(?:a|an|some|the)\s+(?:[^\W\d_]+\s+){0,3}?"
    r"(?:texts?|sentences?|paragraphs?|passages?|strings?|samples?)\b",
    re.IGNORECASE,
)
# a request for the helper to come up with values ("please provide the names of various food
# groups", "provide different sets of values"): the user's own task names them
_ASKS_TO_INVENT = re.compile(
    r"\b(?:provide|give|suggest|generate|invent|make up)\s+(?:me\s+|us\s+)?(?:with\s+)?"
    r"(?:the\s+names?\s+of\s+)?(?:various|different|several|multiple)\b",
    re.IGNORECASE,
)
# a statement, not a request: it opens as prose ("The quick brown fox jumps ...") and neither
# asks ("?") nor says what the user wants done
_PROSE_OPENING = re.compile(
    r"^\W*(?:the|a|an|this|that|these|those|it|he|she|they|we|our|his|her|its|there)\b",
    re.IGNORECASE,
)
_REQUEST_WORD = re.compile(
    r"\b(?:please|can|could|would|will|need|needs|want|wants|like|help|find|tell|show|give"
    r"|list|calculate|convert|compute|count|check|look|get|what|how|which|when|where|who|why"
    r"|whether|should|must|let)\b",
    re.IGNORECASE,
)
_SENTENCE_BREAK = re.compile(r"[.!]\s+[A-Z]")
_STATES = re.compile(r"\b(?:is|are|was|were|has|have)\b", re.IGNORECASE)
# a value under a form's label ("Expression: '(1 + 4) / 2 * 2'"), asking nothing
_LABELLED = re.compile(r"^\W*[^\W\d_]+(?: [^\W\d_]+){0,2}\s*:(?:\s+|(?=['\"]))\S")
_HELPERS_VOICE = re.compile(
    r"\b(?:you(?:'d|\s+would)\s+like\b|(?:would|do)\s+you\s+(?:like|want)\b)"
    # the helper promising the work ("... a country and I will find out its capital")
    r"|\bI(?:'ll|\s+will)\s+(?:then\s+)?(?:find|look|calculate|compute|convert|check|search"
    r"|tell|give|get)\b"
    # the helper telling the user how to do it ("..., you would make the following request",
    # "..., you should provide the country code 'FR'")
    r"|\byou\s+(?:would|can|could|should|(?:will\s+)?need\s+to)\s+"
    r"(?:make|send|use|call|write|provide|enter|specify|supply)\b"
    # the helper asking for its input ("Please provide the text ... for me to compute",
    # "..., please enter the Unix epoch timestamp")
    r"|\bplease\s+(?:enter|type|input|paste)\b"
    r"|\bfor\s+me\s+to\s+(?:compute|calculate|analy[sz]e|convert|process|check|count|use"
    r"|evaluate|look\s+up|work\s+with)\b",
    re.IGNORECASE,
)


def declines(text: str) -> bool:
    """Whether a reply written where a request should be declines to write one: a refusal
    ("I'm sorry, but I can't help with that"), an offer to help, the helper asking the user
    for what the request should hold ("Can you provide the color you would like to
    convert?"), ste's instruction echoed.
    Tried as a request it teaches nothing (a dev exploration spent an episode on one)."""
    return (
        bool(_REFUSAL.search(text) or _HELPERS_VOICE.search(text))
        or offers_help(text)
        or _repeats_instruction(text)
    )


def offers_help(text: str) -> bool:
    """Whether `text` talks to ste about writing a request ("I'd be happy to help you write
    a realistic request!") instead of being one."""
    return bool(_OFFER.search(text))


_ASSIGNED = r"""(?:=|:\s*['"\d{\[])"""  # "expression='2 + 3'", "date: '2026-12-06'"


# the request under a template's label of who says it ('User input: "Is the ISBN ..."')
_ROLE_LABEL = re.compile(
    r"^\W*(?:(?:the\s+)?(?:user|customer|human|client)(?:'s)?\s+)?(?:input|message|prompt)\s*:",
    re.IGNORECASE,
)


def natural_query(query: str, tool: Tool | None = None) -> Check:
    """The query reads as a request a person would write: not JSON or a bare value, not
    ste's instruction or memory repeated, not talk about the tool, its parameters or "the
    user" (what the imagination prompt asks the model not to write)."""
    text = query.strip()
    if text[:1] in "{[":
        try:
            json.loads(text)
        except (json.JSONDecodeError, ValueError, RecursionError):
            pass
        else:
            return Check("natural_query", False, "the query is JSON, not a request in words")
    words = _WORD.findall(text)
    numbers = re.findall(r"\d+(?:\.\d+)?", text)  # an expression's ("Compute (3.7 + 4.25) × 12")
    if not words or len(words) + len(numbers) < 3:
        return Check("natural_query", False, f"the query has {len(words)} word(s): {text[:60]!r}")
    if _REFUSAL.search(text):
        return Check("natural_query", False, f"the query is a refusal: {text[:60]!r}")
    if offers_help(text):
        return Check("natural_query", False, f"the query offers to help: {text[:60]!r}")
    if MEMORY_MARK.search(text):
        return Check("natural_query", False, "the query carries a memory entry's verdict mark")
    if label := _ROLE_LABEL.match(text):
        return Check(
            "natural_query",
            False,
            f"the query is under a template's label ({label.group(0).strip()!r}), not the "
            "user's own words",
        )
    if _repeats_instruction(text):
        return Check("natural_query", False, "the query repeats ste's own instruction")
    if voice := _HELPERS_VOICE.search(text):
        return Check(
            "natural_query",
            False,
            f"the query is the helper asking the user ({voice.group(0)!r}), not the user's "
            "request with what it needs written out",
        )
    if (asks := _ASKS_FOR_INPUT.search(text)) and not _CONTENT.search(text):
        return Check(
            "natural_query",
            False,
            f"the query asks to be given what it is about ({asks.group(0)!r}): a user's "
            "request holds its own content, written out",
        )
    if invent := _ASKS_TO_INVENT.search(text):
        return Check(
            "natural_query",
            False,
            f"the query asks the helper to come up with values ({invent.group(0)!r}): a "
            "user's request names its own",
        )
    asks_nothing = "?" not in text and not _REQUEST_WORD.search(text)
    # sentences that state and ask nothing ("Hello world! This is a test text."): a text, not
    # a task ("Paris to Berlin. In km." states nothing: a terse request)
    sentences = asks_nothing and bool(_SENTENCE_BREAK.search(text) and _STATES.search(text))
    if asks_nothing and (_PROSE_OPENING.match(text) or _LABELLED.match(text) or sentences):
        kind = "a labelled value" if _LABELLED.match(text) else "a statement"
        return Check(
            "natural_query",
            False,
            f"the query is {kind}, not a request: {text[:60]!r} asks nothing and says "
            "nothing the user wants done",
        )
    if unnamed := _unspecified(text):
        return Check("natural_query", False, f"the query asks about {unnamed!r} but gives none")
    if file := _file_without_content(text, tool):
        reason = f"the query is about the file {file!r}, not its content"
        return Check("natural_query", False, reason)
    absent = _ABSENT_CONTENT.search(text)
    if absent and not _CONTENT.search(text) and not _GIVEN_AFTER.match(text, absent.end()):
        said = absent.group(0)
        return Check("natural_query", False, f"the query is about {said!r} but does not hold it")
    meta = _META.search(text)
    # the tool's name, and parameter names no one writes in prose ("from_unit", not "days")
    properties = tool.parameters.get("properties", {}) if tool else {}
    # a tool named by a plain word ("calculate", "search") is the user's own verb: only a
    # name no one writes in prose ("convert_units", "getWeather") says the query knows it
    names = [n for n in [tool.name, *properties] if not n.isalpha()] if tool else []
    named = [n for n in names if re.search(rf"\b{re.escape(n)}\b", text, re.IGNORECASE)]
    # any parameter given a value in a call's syntax: "calculate expression='2 + 3'"
    named += [n for n in properties if re.search(rf"\b{re.escape(n)}\s*{_ASSIGNED}", text)]
    if meta or named:
        said = meta.group(0) if meta else named[0]
        return Check("natural_query", False, f"the query talks about the tool ({said!r})")
    return Check("natural_query", True, "a request in natural language")


@cache
def _instruction_sentences() -> tuple[str, ...]:
    """The sentences of the prompts that ask the model for a request."""
    from ste.prompts import PROMPTS_DIR, template

    # the exploration's prompts, and the agent's (its format's placeholders, "Thought: <think
    # about what to do next>", came back as a request)
    paths = [*PROMPTS_DIR.glob("explore_*.txt"), *PROMPTS_DIR.glob("*_system.txt")]
    texts = [template(path.stem).replace("<", "").replace(">", "") for path in sorted(paths)]
    sentences = (s.strip().casefold() for t in texts for s in re.split(r"(?<=[.:!?])\s+|\n+", t))
    return tuple(s for s in sentences if len(s) > 20 and "{" not in s)


def _repeats_instruction(query: str) -> bool:
    text = " ".join(query.casefold().split())
    return any(
        SequenceMatcher(None, text, sentence).ratio() > 0.8 or sentence in text
        for sentence in _instruction_sentences()
    )
