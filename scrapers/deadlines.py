"""Calls read from German program texts: deadlines with their kind, the rolling flag and the status.

One reader, :func:`read_calls`, serves both Förderdatenbank paths (export and HTML), so a program
reads the same whichever way it came. It is deliberately conservative: a date is a deadline only
when a deadline cue stands right before it ("bis zum", "spätestens", "Stichtag", "endete am") or
"außer Kraft" right after it, *and* its sentence says what the date is for (Antrag, Projektskizze,
Laufzeit …). A date in "Richtlinie vom 12.03.2024" or "BAnz AT 05.05.2025" has no cue; a date in
"Vorhaben müssen bis zum 31.12.2026 abgeschlossen sein" names no application step. Anything vaguer
stays in the text for the consultant to read.

Past windows are kept: they tell the consultant a round existed. A day without a year is a deadline
only when its sentence says it recurs ("30.09. jeden Jahres", "jährlich zum 31. März"), or names the
year ("Für das Jahr 2026 … bis zum 20.04."); a recurring one is stored as a yearly deadline in the
year of the text's Stand (``vom:``/``Stand:`` date, else the caller's ``stand``, else ``today``), so
that the record does not change every New Year, and :func:`next_occurrence` yields its next day.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from fundmatch.scrapers.records import Deadline

_MONTHS = {
    "januar": 1,
    "jänner": 1,
    "februar": 2,
    "märz": 3,
    "maerz": 3,
    "april": 4,
    "mai": 5,
    "juni": 6,
    "juli": 7,
    "august": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "dezember": 12,
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
# A day: "30.11.2027", "30.09." (no year), "15. März 2028", "31. März" (no year). Not inside a
# longer number ("1.2.3") and not a two-digit year ("30.09.25", which stays in the text).
_DAY = re.compile(
    rf"(?<![\d.])(?P<d>[0-3]?\d)\.\s?(?:(?P<m>[01]?\d)\.(?:\s?(?P<y>20\d\d)(?!\d)|(?!\s?\d))"
    rf"|(?P<mn>{_MONTH_NAMES})\b(?:\s+(?P<ny>20\d\d)(?!\d))?)",
    re.I,
)
# "bis Ende März 2027" (the month's last day) and "bis 2027" / "bis Ende 2027" (only the year).
_MONTH_END = re.compile(rf"\bbis\s+(?:zum\s+)?Ende\s+(?P<mn>{_MONTH_NAMES})\s+(?P<y>20\d\d)(?!\d)", re.I)
_YEAR_ONLY = re.compile(
    r"\bbis\s+(?:(?:zum\s+)?Ende\s+(?:des\s+Jahres\s+)?)?(?P<y>20\d\d)(?![\d.]\d)(?!\s*(?:Euro|EUR|€|Prozent|%))",
    re.I,
)

# What must stand right before a date for it to be a deadline (fillers such as "zum", "der" allowed).
_FILLER = (
    r"(?:zum|zur|am|den|der|dem|des|ist|sind|war|waren|liegt|spätestens|einschließlich|jeweils|noch|jährlich"
    r"|Ablauf|bis|und|oder|:|,)"
)
_CUE_BEFORE = re.compile(
    r"(?P<cue>\bbis|\bspätestens|\bStichtag\w*|\w*frist\w*|\w*schluss\b|\bendet|\bendete|\benden|\bendeten"
    r"|\bschließt|\bschloss|\bDeadline|\bjährlich\s+zum|\bjeweils\s+zum|\bzum"
    # "Stichtage für Projektskizzen sind der …", "Die Frist zur Einreichung von Skizzen endete am …"
    r"|(?:\bStichtag\w*|\w*frist\w*|\w*schluss)(?:\s+[^\s\d]+){1,6}?\s+(?:ist|sind|lautet|lauten|endet|endete|war|waren))"
    rf"(?:\s*{_FILLER})*\s*$",
    re.I,
)
_CUE_AFTER = re.compile(r"^\s*(?:\([^)]{0,40}\)\s*)?au(?:ß|ss)er\s+Kraft", re.I)
_OPENING_BEFORE = re.compile(
    r"(?:\bab|\bab\s+dem|\bvom|\bbeginnend\s+am|\bbeginnt\s+am|\bstartet\s+am|\bfrühestens\s+am)\s*$", re.I
)
_CONTINUATION = re.compile(
    r"^\s*(?:\([^)]{0,120}\)\s*)?(?:,|und|oder|sowie|bzw\.?|/)\s*(?:(?:zum|am|der|den|dem)\s+)*$", re.I
)
_RANGE = re.compile(r"^\s*(?:–|-|bis(?:\s+zum)?)\s*$", re.I)

# Words that say what a date is for, by deadline kind; "none" marks dates that are not calls at all
# (the end of a project, a report due). A word inside a longer one of another kind yields to it
# ("Projektlaufzeit" is no program end, "befristet" is no Frist).
_KIND_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "none",
        re.compile(
            r"verwendungsnachweis\w*|zwischenbericht\w*|sachbericht\w*|abschlussbericht\w*|mittelabruf\w*"
            r"|bewilligungszeitraum\w*|durchführungszeitraum\w*|förderzeitraum\w*|projektlaufzeit\w*"
            r"|projektzeitraum\w*|abgeschlossen|fertiggestellt|umgesetzt|durchgeführt|begonnen"
            r"|(?<!außer\s)(?<!ausser\s)\bin\s+kraft\b"
        ),
    ),
    (
        "sketch",
        re.compile(
            r"\w*skizze\w*|interessenbekundung\w*|projektidee\w*|projektvorschl\w*"
            r"|(?:erste[nrs]?|1\.)\s+(?:verfahrens)?stufe"
        ),
    ),
    ("cutoff", re.compile(r"\w*stichtag\w*|cut-?off|auswahlrunde\w*|einreichungsrunde\w*|bewertungsrunde\w*")),
    (
        "end",
        re.compile(
            r"\w*laufzeit\w*|au(?:ß|ss)er\s+kraft|\bgilt\b|gültig\w*|befristet|geltungsdauer|programmende"
            r"|(?:programm|richtlinie)\w*\s+(?:\w+\s+){0,3}(?:läuft|endet|ausläuft|eingestellt)"
        ),
    ),
    (
        "submission",
        re.compile(
            r"\w*antr[aä]g\w*|\w*einreich\w*|einzureichen|\w*bewerb\w*|beantrag\w*|vorzulegen|einsende\w*|\w*frist\w*"
        ),
    ),
)
_YEARLY = re.compile(
    r"\b(?:eines|jedes|jeden)\s+(?:jeden\s+)?(?:kalender)?jahres\b|\bjedes\s+jahr\b|\bjährlich\b|\balljährlich\b|\bjeweils\b",
    re.I,
)
_YEAR_CONTEXT = re.compile(r"\b(?:für\s+das|im)\s+(?:kalender)?jahr\s+(?P<y>20\d\d)\b", re.I)
_STAND = re.compile(
    rf"\b(?:Stand|vom|aktualisiert\s+(?:im|am))\s*:?\s*(?:(?P<d>[0-3]?\d)\.\s?(?:(?P<m>[01]?\d)\.|(?P<dmn>{_MONTH_NAMES})\s)\s?"
    rf"|(?P<mn>{_MONTH_NAMES})\s+)(?P<y>20\d\d)(?!\d)",
    re.I,
)

_ROLLING = re.compile(
    r"\b(?:laufend|jederzeit|fortlaufend|ganzjährig|kontinuierlich)\b|laufende[nr]?\s+(?:antragstellung|antragsannahme|einreichung)"
    r"|\bohne\s+(?:antrags|einreichungs)?(?:frist|stichtag)|\bkeine\s+(?:antrags|einreichungs)?(?:frist(?:en)?|stichtage?)\b"
    r"|stichtagsunabhängig|fristunabhängig",
    re.I,
)
_ROLLING_NEGATED = re.compile(r"\bnicht\s+(?:mehr\s+)?(?:laufend|jederzeit|fortlaufend|ganzjährig)", re.I)
_APPLICATION = re.compile(r"antr[aä]g|einreich|skizze|bewerb|beantrag", re.I)

# Status texts. A program is closed when the source says applications are not possible now; it is
# forthcoming when it says a call is still to come. Conditional sentences ("Sind die Mittel
# ausgeschöpft, …", "Nach Ablauf der Frist ist eine Antragstellung nicht mehr möglich") say nothing
# about now and are skipped.
_CLOSED = re.compile(
    r"antrags?stellung(?:en)?\s+(?:ist\s+|sind\s+)?(?:(?:derzeit|zurzeit|aktuell|momentan|vorübergehend|leider|bis\s+auf\s+weiteres)\s+)*"
    r"(?:nicht\s+mehr|nicht|keine)\s+(?:mehr\s+)?möglich"
    r"|(?:derzeit|zurzeit|aktuell|momentan|vorübergehend|bis\s+auf\s+weiteres)\s+(?:ist\s+|sind\s+)?keine?\s+(?:antrags?stellung|antragsannahme|einreichung)"
    r"|(?:können|werden|dürfen)\s+(?:(?:derzeit|zurzeit|aktuell|momentan|bis\s+auf\s+weiteres|daher)\s+)*keine\s+(?:neuen\s+|weiteren\s+)?(?:anträge|projektskizzen|skizzen)"
    r"|keine\s+(?:neuen\s+|weiteren\s+)?anträge\s+(?:mehr\s+)?(?:angenommen|entgegengenommen|gestellt|berücksichtigt)"
    r"|\w*mittel\b[^.]{0,60}?\b(?:sind|wurden|ist)\s+(?:\w+\s+){0,2}(?:ausgeschöpft|erschöpft|aufgebraucht)"
    r"|\w*mittel\s+(?:\w+\s+){0,2}ausgeschöpft"
    r"|\b(?:förder)?programm\w*\s+(?:ist\s+|wurde\s+)?(?:\S+\s+){0,3}(?:ausgelaufen|beendet|eingestellt|abgelaufen)"
    r"|^(?:programm\s+)?ausgelaufen$"
    r"|\b(?:förder)?aufruf\w*\s+(?:ist\s+|wurde\s+)?(?:\w+\s+){0,2}(?:geschlossen|beendet|abgelaufen)"
    r"|(?:antrags|einreichungs|bewerbungs)frist\s+(?:ist\s+|wurde\s+)?(?:\w+\s+){0,2}(?:abgelaufen|beendet|verstrichen)"
    r"|antragsstopp|antragsannahme\s+(?:wurde\s+|ist\s+)?(?:\w+\s+){0,2}(?:gestoppt|eingestellt|ausgesetzt|geschlossen)"
    r"|anträge\s+können\s+erst\s+(?:wieder\s+)?(?:nach|mit)\s+(?:der\s+)?(?:veröffentlichung|bekanntgabe|bekanntmachung|öffnung)",
    re.I,
)
_FORTHCOMING = re.compile(
    r"noch\s+nicht\s+(?:möglich|geöffnet|freigeschaltet|veröffentlicht|gestartet)"
    r"|(?:voraussichtlich|in\s+kürze|demnächst|zeitnah)\s+(?:\w+\s+){0,6}(?:veröffentlicht|geöffnet|freigeschaltet|möglich|starten|beginnen)"
    r"|\bin\s+vorbereitung\b|\bangekündigt\b",
    re.I,
)
_CALL_WORDS = re.compile(r"antr[aä]g|aufruf|programm|einreich|skizze|ausschreibung|bewerb|förderung|wettbewerb", re.I)
_CONDITIONAL = re.compile(
    r"^(?:sind|ist|wenn|sobald|falls|solange|sofern|nachdem)\b|\b(?:sobald|solange|falls|sofern|wenn)\b"
    r"|\b(?:nach|bei|bis\s+zur)\s+ausschöpfung|\bnach\s+ablauf|\bdanach\b|\banschließend\b",
    re.I,
)
# Sentence ends: not after a day's dot ("31. März", "30.09. jeden Jahres") nor inside "z. B.".
_SENTENCE_END = re.compile(r"(?<!\b\d\.)(?<!\b\d\d\.)(?<=[.!?;])\s+(?=[A-ZÄÖÜ„\"(])|;\s*")
NOTE_LIMIT = 300


@dataclass(frozen=True)
class Calls:
    """What a program's texts say about its calls: deadlines, rolling applications and the status.

    ``status_note`` is the status text as read (the source's banner, else the sentence that decided
    a closed or forthcoming status), kept so that a verdict can give the source's own words."""

    deadlines: list[Deadline] = field(default_factory=list)
    rolling: bool | None = None
    status: str = "open"
    status_note: str | None = None


def iso_day(value: str | None) -> date | None:
    """The day of an ISO date or timestamp ("2027-03-31T17:00:00+0200"); None when absent or garbled."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def day_in_year(month: int, day: int, year: int) -> date | None:
    """The day in that year; 29 February becomes the 28th in other years, impossible days None."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        day = 28
    try:
        return date(year, month, day)
    except ValueError:
        return None


def next_occurrence(deadline: Deadline, today: date) -> date | None:
    """The deadline's next day on or after ``today``; for a yearly one the same day of a coming year
    (29 February falls on the 28th in other years). None when it has passed for good."""
    if deadline.date >= today:
        return deadline.date
    if deadline.recurrence != "yearly":
        return None
    for year in (today.year, today.year + 1):
        day = day_in_year(deadline.date.month, deadline.date.day, year)
        if day is not None and day >= today:
            return day
    raise AssertionError("a yearly day recurs within two years")


def last_occurrence(deadline: Deadline, before: date) -> date | None:
    """The deadline's latest day before ``before`` (a yearly one's last past round), None if none."""
    if deadline.date >= before:
        return None
    if deadline.recurrence != "yearly":
        return deadline.date
    for year in (before.year, before.year - 1):
        day = day_in_year(deadline.date.month, deadline.date.day, year)
        if day is not None and deadline.date <= day < before:
            return day
    return deadline.date


def _sentences(text: str) -> Iterable[str]:
    """Sentences of a text: paragraphs split at sentence ends; line breaks inside a paragraph (from
    ``<br>`` or a saver's pretty-printing) are spaces."""
    for paragraph in re.split(r"\n\s*\n", text):
        flat = " ".join(paragraph.split())
        for sentence in _SENTENCE_END.split(flat):
            if sentence.strip():
                yield sentence.strip()


def _note(sentence: str) -> str:
    return sentence if len(sentence) <= NOTE_LIMIT else sentence[: NOTE_LIMIT - 2].rstrip() + " …"


def text_stand(texts: Iterable[str | None]) -> date | None:
    """The latest "Stand:"/"vom:" date the texts name (a month alone counts as its first day)."""
    found: list[date] = []
    for text in texts:
        for match in _STAND.finditer(text or ""):
            month = int(match["m"]) if match["m"] else _MONTHS[(match["dmn"] or match["mn"]).lower()]
            day = day_in_year(month, int(match["d"]) if match["d"] else 1, int(match["y"]))
            if day is not None:
                found.append(day)
    return max(found, default=None)


def _kind_words(sentence: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every kind word, without those inside a longer word of another kind."""
    lower = sentence.lower()
    spans = [(m.start(), m.end(), kind) for kind, pattern in _KIND_WORDS for m in pattern.finditer(lower)]
    return [
        (s, e, k)
        for s, e, k in spans
        if not any(k2 != k and s2 <= s and e <= e2 and (e2 - s2) > (e - s) for s2, e2, k2 in spans)
    ]


def _kind_at(words: list[tuple[int, int, str]], start: int, end: int, cue: str) -> str | None:
    """The kind of the date at [start, end): the nearest kind word before it, else after it; None for
    a date that is no call ("none") or one whose sentence names no kind and whose cue is only "bis"."""
    before = [w for w in words if w[1] <= start]
    after = [w for w in words if w[0] >= end]
    nearest = max(before, key=lambda w: w[1]) if before else (min(after, key=lambda w: w[0]) if after else None)
    kind = nearest[2] if nearest else None
    folded = cue.lower()
    if kind == "none":
        return None
    if "stichtag" in folded and kind != "sketch":
        return "cutoff"
    if kind is None and ("frist" in folded or "schluss" in folded or "deadline" in folded):
        return "submission"
    return kind


@dataclass
class _Reader:
    """Reads one program's sentences; ``year`` is the year yearly days are stored in."""

    year: int
    deadlines: list[Deadline] = field(default_factory=list)
    opening: tuple[date, str] | None = None
    rolling: bool | None = None

    def add(self, day: date, kind: str, recurrence: str | None, sentence: str) -> None:
        note = _note(sentence)
        if any((d.date, d.kind, d.recurrence) == (day, kind, recurrence) for d in self.deadlines):
            return
        self.deadlines.append(Deadline(date=day, kind=kind, note=note, recurrence=recurrence))

    def read(self, sentence: str) -> None:
        if not any(c.isdigit() for c in sentence):
            self._read_rolling(sentence)
            return  # no day, no year: nothing to date
        words = _kind_words(sentence)
        yearly = bool(_YEARLY.search(sentence))
        context = _YEAR_CONTEXT.search(sentence)
        previous_end: int | None = None  # where the last deadline's day ended, for "… und 15.09.2026"
        previous_kind: str | None = None  # which a continued list inherits ("Stichtage sind der … und der …")
        previous_day: tuple[int, date] | None = None  # the last day of any kind, for ranges
        for match in _DAY.finditer(sentence):
            month = int(match["m"]) if match["m"] else _MONTHS.get((match["mn"] or "").lower())
            year_text = match["y"] or match["ny"]
            if not month:
                continue
            recurrence = None
            if year_text:
                day = day_in_year(month, int(match["d"]), int(year_text))
            elif yearly:
                day, recurrence = day_in_year(month, int(match["d"]), self.year), "yearly"
            elif context:
                day = day_in_year(month, int(match["d"]), int(context["y"]))
            else:
                day = None
            before = sentence[max(0, match.start() - 80) : match.start()]
            gap_from_previous = sentence[previous_end : match.start()] if previous_end is not None else None
            cue = _CUE_BEFORE.search(before)
            continued = gap_from_previous is not None and _CONTINUATION.match(gap_from_previous)
            after_cue = _CUE_AFTER.match(sentence[match.end() :])
            is_range_end = (
                previous_day is not None and _RANGE.match(sentence[previous_day[0] : match.start()]) is not None
            )
            opens = day is not None and _OPENING_BEFORE.search(before) and _APPLICATION.search(sentence)
            if opens and day is not None and (self.opening is None or day > self.opening[0]):
                self.opening = (day, sentence)
            if day is None or not (cue or continued or after_cue or is_range_end):
                previous_day = (match.end(), day) if day else previous_day
                continue
            if after_cue:
                kind: str | None = "end"
            elif continued and not cue:
                kind = previous_kind
            else:
                kind = _kind_at(words, match.start(), match.end(), cue["cue"] if cue else "")
            if kind is None:
                previous_day = (match.end(), day)
                continue
            self.add(day, kind, recurrence, sentence)
            previous_end, previous_kind = match.end(), kind
            previous_day = (match.end(), day)
        self._read_vague_ends(sentence, words)
        self._read_rolling(sentence)

    def _read_rolling(self, sentence: str) -> None:
        if _ROLLING.search(sentence) and _APPLICATION.search(sentence) and not _ROLLING_NEGATED.search(sentence):
            self.rolling = True

    def _read_vague_ends(self, sentence: str, words: list[tuple[int, int, str]]) -> None:
        """ "bis Ende März 2027" (the month's last day) and "bis 2027" (the end of the year, kind end)."""
        for match in _MONTH_END.finditer(sentence):
            year, month = int(match["y"]), _MONTHS[match["mn"].lower()]
            kind = _kind_at(words, match.start(), match.end(), "bis")
            if kind:
                self.add(date(year, month, calendar.monthrange(year, month)[1]), kind, None, sentence)
        for match in _YEAR_ONLY.finditer(sentence):
            if _kind_at(words, match.start(), match.end(), "bis"):
                self.add(date(int(match["y"]), 12, 31), "end", None, sentence)


def _status_of(sentence: str) -> str | None:
    folded = sentence.strip()
    if _FORTHCOMING.search(folded) and _CALL_WORDS.search(folded):
        return "forthcoming"
    if _CLOSED.search(folded):
        return "closed"
    return None


def read_calls(
    texts: Iterable[str | None], *, status_text: str | None = None, stand: date | None = None, today: date
) -> Calls:
    """Deadlines, rolling flag and status of a listed program from its texts and status banner.

    ``status_text`` is the source's status banner (the export's ``gsb:header``, the page's
    ``p.subtitle--text``): it decides over the body texts and is kept as ``status_note`` as it is.
    Without a status text a program is closed or forthcoming only when a body sentence says so in
    the present tense; otherwise a listed program is open. ``stand`` is the year anchor for yearly
    deadlines when the texts name no Stand/vom date; ``today`` decides whether an announced opening
    day ("Anträge können ab dem 01.03.2027 gestellt werden") still lies ahead."""
    bodies = [text for text in texts if text]
    banner = " ".join((status_text or "").split()) or None
    anchor = text_stand(bodies) or stand or today
    reader = _Reader(year=anchor.year)
    for sentence in _sentences(banner or ""):
        reader.read(sentence)  # a banner may name a date too ("Antragstellung bis 31.03.2027")
    body_status: tuple[str, str] | None = None
    for text in bodies:
        for sentence in _sentences(text):
            reader.read(sentence)
            found = _status_of(sentence)
            stronger = body_status is None or (found == "closed" and body_status[0] != "closed")
            if found and stronger and not _CONDITIONAL.search(sentence):
                body_status = (found, sentence)
    banner_status = _status_of(banner) if banner else None
    if banner_status:
        status, note = banner_status, banner
    elif body_status:
        status, note = body_status[0], _note(body_status[1])
    elif reader.opening and reader.opening[0] > today:
        status, note = "forthcoming", _note(reader.opening[1])
    else:
        status, note = "open", banner
    deadlines = sorted(reader.deadlines, key=lambda d: (d.date, d.kind))
    return Calls(deadlines=deadlines, rolling=reader.rolling, status=status, status_note=note)


def find_deadlines(text: str | None, *, stand: date | None = None, today: date | None = None) -> list[Deadline]:
    """The deadlines :func:`read_calls` finds in one text (for callers that need nothing else)."""
    return read_calls([text], stand=stand, today=today or date.today()).deadlines


def next_deadline(deadlines: Sequence[Deadline], today: date) -> date | None:
    """The first day on or after ``today`` of any deadline; a yearly one in its next year unless the
    program ends before it (see :func:`expected_round`)."""
    upcoming = [d.date for d in deadlines if d.date >= today]
    expected = expected_round(deadlines, today)
    return min([*upcoming, *([expected[0]] if expected else [])], default=None)


def program_end(deadlines: Sequence[Deadline]) -> date | None:
    return max((d.date for d in deadlines if d.kind == "end"), default=None)


def last_round_before(deadline: Deadline, end: date | None) -> date:
    """The last day a yearly deadline falls on up to the program's end (``date.max`` without an end)."""
    if end is None:
        return date.max
    for year in (end.year, end.year - 1):
        day = day_in_year(deadline.date.month, deadline.date.day, year)
        if day is not None and day <= end:
            return day
    raise AssertionError("a yearly day falls within a year before the end")


def expected_round(deadlines: Sequence[Deadline], today: date) -> tuple[date, date] | None:
    """(next day, last past day) of the expected round: the nearest next day of a yearly deadline whose
    stated day has passed but which recurs before the program's end, and the latest day any of the
    program's deadlines fell on before today. None when no round is to be expected."""
    end = program_end(deadlines)
    upcoming = []
    for deadline in deadlines:
        if deadline.recurrence != "yearly" or deadline.kind == "end" or deadline.date >= today:
            continue
        day = next_occurrence(deadline, today)
        if day is not None and (end is None or day <= end):
            upcoming.append(day)
    if not upcoming:
        return None
    past = [day for d in deadlines if d.kind != "end" and (day := last_occurrence(d, today)) is not None]
    return min(upcoming), max(past)
