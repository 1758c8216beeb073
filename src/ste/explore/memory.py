"""The memories of exploration: reading an imagined query, and the long-term memory prompt."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ste.checks.requests import MEMORY_MARK, offers_help
from ste.checks.rules import usable
from ste.distill.dedup import DEFAULT_THRESHOLDS, calls_key, lexical_similarity, near_duplicates
from ste.explore.coverage import Coverage
from ste.explore.unavailable import passed_values, refused_values
from ste.explore.worn import worn_values
from ste.prompts import render
from ste.records import Trial
from ste.tools.tool import Tool

_LABEL = re.compile(
    r"^[\s>*_#`\"]*(?:(?:synthesi[sz]ed\s+)?(?:user\s+)?(?:query|request|question|task|input)\s*"
    r"(?:\([^)]*\))?\s*[:\-]|user\s*:)[\s*_]*",
    re.IGNORECASE,
)
# a markdown heading naming the request, the request on the lines after it ("### Request")
_HEADING = re.compile(
    r"^[ \t]*#+[ \t]*(?:[A-Za-z]+\s+){0,2}?(?:query|request|question|task)[ \t*_:]*\n\s*(\S.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_LABELLED_LINE = re.compile(
    # not commentary about the request written above ("In this request:", "This query:")
    r"^[ \t>*_#`\"-]*(?!(?:in\s+)?(?:this|that|the above|above)\s)"
    r"(?:[A-Za-z]+\s+){0,2}?(?:query|request|question|task)[ \t*_`]*"
    r"(?:\([^)\n]*\))?[ \t*_`]*:[ \t*_`]*(.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_CHATTER = re.compile(
    r"^\W*(?:sure|certainly|okay|ok|of course|absolutely|here|great|alright)\b", re.IGNORECASE
)
_INTERJECTION = re.compile(
    r"^\W*(?:sure|certainly|okay|ok|of course|absolutely|great|alright)\s*[!.,]+\s*", re.IGNORECASE
)
_SOLVING = re.compile(
    r"^\s*[>*_#`]*\s*(?:thought|action|action input|observation|final answer)\s*:",
    re.IGNORECASE | re.MULTILINE,
)
# "I'll think of a request ... Let's go with this: "..."": talk about writing a request, then
# the request quoted after a colon (a request that quotes a text to analyse is not talk)
_META_PREAMBLE = re.compile(
    r"^[^\"\u201c]{0,300}?\b(?:request|query|question|example)s?\b[^\"\u201c]{0,120}?:\s*(?=[\"\u201c])",
    re.IGNORECASE,
)
_META_TALK = re.compile(
    r"\b(?:i'll|i will|i'd|let's|let me|here's|here is|how about|based on|go with)\b", re.IGNORECASE
)
# every quoted span, short ones too: skipping '"banana"' pairs its closing quote with the
# next opening one, and the text between two quotations reads as one
# a sentence of the request asking which tool to use ("What tool can I use to find this?"):
# the user's task is the rest
_WHICH_TOOL = re.compile(
    r"\s*\b(?:what|which)\s+(?:tool|api|function|endpoint)s?\b[^.?!]*[.?!]?\s*$", re.IGNORECASE
)
_QUOTED = re.compile(r'"([^"]*)"|\u201c([^\u201d]*)\u201d')
# the request said by someone ('I would ask: "What is ...?"'): the words said are the request
_SPEAKER = re.compile(
    r"^\W*(?:I|a user|the user|users?|they|someone|a person)\s+(?:would|might|could|will|may)"
    r"\s+(?:ask|say|write|request)\b(?:\s+something\s+like)?\s*[:,]?\s*",
    re.IGNORECASE,
)
# a reply that starts solving at once: "Thought: I need the capital of the country ..."
_NEED_THOUGHT = re.compile(
    r"^[\s>*_#`]*thought\s*:\s*((?:I\s+(?:need|want|would like)|I'd like|Please|What|How|Which"
    r"|Find|Convert|Calculate)\b[^\n]*)",
    re.IGNORECASE,
)
# a first sentence about writing the request ("I'll write a user request for a tool."), and
# the request put as imagined ("Imagine I need ..."): the request is what follows
_WRITING_IT = re.compile(
    r"^(?:I'll|I will|I'm going to|Let me|Let's)\s+(?:write|create|come up with|think of"
    r"|imagine|generate|make)\b[^.!?:\"]*\b(?:request|query|question|task)\b[^.!?:\"]*[.!:]\s+"
    r"|^Imagine(?:\s+that)?\s+(?=I\b|I'|my\b|we\b)",
    re.IGNORECASE,
)
_WHOLLY_QUOTED = re.compile(r'["\u201c](.+?)["\u201d]\W*', re.DOTALL)
MAX_QUERY_CHARS = 600
MAX_ERRORS = 6  # the latest distinct errors the long-term memory lists
MIN_QUERY_WORDS = 3


def clean_query(text: str, prompt: str = "") -> str:
    """The request in an imagination reply, or "" when there is none.

    Models wrap the request in chatter ("Sure, here's a request: \"...\" This request is
    natural..."), label it ("Request:"), quote or fence it, start solving it right away, or
    echo the instructions; only the request itself is kept. A reply that is not a request of
    a few words (a bare "Yes" carried over from the reflection) is no query.
    """
    text = (text or "").replace("```", "").strip()
    solving = _SOLVING.search(text)
    if solving:
        # solving from its first line, the thought stating the user's need is the request
        thought = _NEED_THOUGHT.match(text) if solving.start() == 0 else None
        text = thought.group(1) if thought else text[: solving.start()]
    labelled = _LABELLED_LINE.search(text) or _HEADING.search(text)
    if labelled:
        text = text[labelled.start(1) :].strip()
    elif _CHATTER.match(text):
        quoted = _quoted(text)
        if quoted:
            text = quoted
        elif ":" in text[:120]:
            text = text.split(":", 1)[1]
        else:
            text = _INTERJECTION.sub("", text)
    elif (preamble := _META_PREAMBLE.match(text)) and _META_TALK.search(preamble.group()):
        text = _quoted(text[preamble.end() :]) or text
    # a paragraph offering to help comes before the request; what follows it is commentary
    # (a markdown rule, "---", is no paragraph: the request often comes after one)
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if re.search(r"\w", p)] or [""]
    while len(paragraphs) > 1 and offers_help(paragraphs[0]):
        paragraphs.pop(0)
    text = paragraphs[0]
    text = _LABEL.sub("", text.strip())
    while (writing := _WRITING_IT.match(text)) and writing.end() < len(text):
        text = text[writing.end() :]
        text = text[:1].upper() + text[1:]
    if spoken := _SPEAKER.match(text):
        said = _WHOLLY_QUOTED.fullmatch(text[spoken.end() :])
        text = said.group(1) if said else text[spoken.end() :]
    text = " ".join(text.split()).strip().strip("*_`").strip()
    text = MEMORY_MARK.sub("", text).removeprefix("- ").strip()  # copied from the memory
    if prompt and _echoes(text, prompt):
        text = _quoted(text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    text = _WHICH_TOOL.sub("", text).strip() or text
    if len(text.split()) < MIN_QUERY_WORDS or len(text) > MAX_QUERY_CHARS:
        return ""
    return text


def _quoted(text: str) -> str:
    """The longest double-quoted span of a few words, or ""."""
    spans = [double or curly for double, curly in _QUOTED.findall(text)]
    spans = [s.strip() for s in spans if len(s) >= 8 and len(s.split()) >= MIN_QUERY_WORDS]
    return max(spans, key=len, default="")


def _words(text: str) -> list[str]:
    """The words of `text`, a value written with dots, slashes or colons one word of its own
    ("192.168.1.0/24", "2026-12-07")."""
    return re.findall(r"[a-z0-9']+(?:[./:-][a-z0-9']+)*", text.casefold())


def _echoes(text: str, prompt: str, span: int = 6) -> bool:
    """Does `text` repeat `span` consecutive words of the prompt? (A value the prompt gives
    as an example is one word: "the network 192.168.1.0/24" is a request, not an echo of
    "describes its network 192.168.1.0/24".)"""
    prompt_words = _words(prompt)
    grams = {tuple(prompt_words[i : i + span]) for i in range(len(prompt_words) - span + 1)}
    words = _words(text)
    return any(tuple(words[i : i + span]) in grams for i in range(len(words) - span + 1))


def distinct(trial: Trial, others: list[Trial]) -> bool:
    """Whether `trial` is no near duplicate of any of `others`, as distillation's lexical
    dedup reads one: a request alike (at its threshold) whose calls are the same."""
    texts = [*(other.query for other in others), trial.query]
    keys = [*(calls_key(other) for other in others), calls_key(trial)]
    threshold = DEFAULT_THRESHOLDS["lexical"]
    return len(others) not in near_duplicates(texts, threshold, lexical_similarity, keys)


def verdict_word(solved: bool | None) -> str:
    return {True: "yes", False: "no", None: "not judged"}[solved]


def fulfilled(trial: Trial) -> bool | None:
    """Whether the trial really fulfilled its request, as the memory tells it: the honest
    outcome (`Trial.outcome`), not the model's reflection, which said "yes" for requests no
    call fulfilled and so sent later episodes back to them. Only the calls of a --no-exec run,
    never run, leave the model's own verdict."""
    if any(step.tool_ok is None for step in trial.call_steps):
        return trial.solved
    return trial.outcome.solved


@dataclass
class ToolMemory:
    """The long-term memory of one tool: every earlier query and whether it was really
    fulfilled (`fulfilled`), and what practice has covered of the tool so far."""

    coverage: Coverage
    entries: list[tuple[str, bool | None]] = field(default_factory=list)
    # the trials that could become examples: honestly solved (`Trial.outcome`, not as the
    # model said) and passing every rule check of distillation (`ste.checks.rules.usable`),
    # none a near duplicate of another (`distinct`)
    usable_trials: list[Trial] = field(default_factory=list)
    # values the tool said it does not hold, with its words (`ste.explore.unavailable`)
    unavailable: dict[str, str] = field(default_factory=dict)

    @property
    def usable(self) -> int:
        """How many distinct trials could become examples: a tool whose three usable trials
        ask one thing twice has two (distillation keeps one of the two)."""
        return len(self.usable_trials)

    @classmethod
    def of(cls, tool: Tool, trials: list[Trial]) -> ToolMemory:
        memory = cls(Coverage(tool))
        for trial in trials:
            memory.add(trial)
        return memory

    def add(self, trial: Trial) -> bool:
        """Remember a trial; whether it covered anything new."""
        self.entries.append((trial.query, fulfilled(trial)))
        tool = self.coverage.tool
        kept = usable(trial, tool) if tool is not None else trial.outcome.solved
        if kept and distinct(trial, self.usable_trials):
            self.usable_trials.append(trial)
        passed = passed_values(trial)
        for value in [v for v in self.unavailable if v.casefold() in passed]:
            del self.unavailable[value]
        if tool is not None:
            self.unavailable.update(refused_values(trial, tool))
        return self.coverage.add(trial)

    def prompt(self, *, repair: bool = False) -> str:
        """The long-term memory block of a conversation's first imagination ("" before any
        query).

        It names what no successful call has used yet, and the latest errors the tool gave:
        their words say what it accepts (a data table's date range, a code system), and a
        request outside it can never succeed. A repair episode asks for a request whose call
        avoids them, and so does an episode of a tool none of whose requests was fulfilled
        yet: asked to go where practice has not been, a small model adds parts to requests
        that already fail."""
        entries = "\n".join(
            f"- {query} (fulfilled: {verdict_word(ok)})" for query, ok in self.entries if query
        )
        if not entries:  # the tool's first episode: nothing to go beyond yet
            return ""
        blocks = [render("explore_memory", entries=entries)]
        repair = repair or not any(ok for query, ok in self.entries if query)
        uncovered = self.coverage.uncovered()
        if uncovered and not repair:
            listed = "\n".join(f"- {part}" for part in uncovered)
            blocks.append(render("explore_memory_uncovered", uncovered=listed))
        if not repair and (values := self.values_prompt()):
            blocks.append(values)
        if self.coverage.error_examples:
            errors = "\n".join(f"- {e}" for e in self.coverage.error_examples[-MAX_ERRORS:])
            blocks.append(
                render("explore_repair" if repair else "explore_memory_errors", errors=errors)
            )
        return "\n\n".join(blocks)

    def worn(self) -> dict[str, int]:
        """The values earlier trials' calls passed again and again (`ste.explore.worn`),
        none before a request was fulfilled: until then a request keeps its values to get
        the call right."""
        if not any(ok for query, ok in self.entries if query):
            return {}
        return worn_values(self.coverage)

    def values_prompt(self) -> str:
        """The values earlier requests made the tool's successful calls use in two trials or
        more, and the ask to bring others ("" when none): examples that all ask about one
        country teach nothing of the codes of the others."""
        used = self.coverage.used_again()
        if not used:
            return ""
        return render("explore_memory_values", values="\n".join(f"- {line}" for line in used))
