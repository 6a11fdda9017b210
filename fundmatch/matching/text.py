"""German text for matching: folding, tokens, stop words, Snowball stems and compound parts.

"Breitbandausbau" must meet "Breitband": long words are split into known parts (with Fugen-s),
and the character n-grams of the index catch what the splitter misses.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import snowballstemmer

from fundmatch.shapes import strip_control

MAX_MEASURE_CHARS = 20_000
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_TAGS = re.compile(r"<[^>]{0,500}>")
_STEMMER = snowballstemmer.stemmer("german")
MIN_PART = 4
MAX_REMEMBERED_STEMS = 200_000
_stems: dict[str, str] = {}

STOP_WORDS = frozenset(
    """
    aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes anderm
    andern anderr anders auch auf aus bei bin bis bist da damit dann das dass dasselbe dazu dein deine
    deinem deinen deiner deines dem demselben den denn denselben der derer derselbe derselben des desselben
    dessen dich die dies diese dieselbe dieselben diesem diesen dieser dieses dir doch dort du durch ein
    eine einem einen einer eines einig einige einigem einigen einiger einiges einmal er es etwas euch euer
    eure eurem euren eurer eures fuer gegen gewesen hab habe haben hat hatte hatten hier hin hinter ich ihm
    ihn ihnen ihr ihre ihrem ihren ihrer ihres im in indem ins ist jede jedem jeden jeder jedes jene jenem
    jenen jener jenes jetzt kann kein keine keinem keinen keiner keines koennen koennte machen man manche
    manchem manchen mancher manches mein meine meinem meinen meiner meines mich mir mit muss musste nach
    nicht nichts noch nun nur ob oder ohne sehr sein seine seinem seinen seiner seines selbst sich sie sind
    so solche solchem solchen solcher solches soll sollte sondern sonst ueber um und uns unsere unserem
    unseren unser unseres unter viel vom von vor waehrend war waren warst was weg weil weiter welche welchem
    welchen welcher welches wenn werde werden wie wieder will wir wird wirst wo wollen wollte wuerde wuerden
    zu zum zur zwar zwischen sowie bzw ca etc z b u a sowohl rund insbesondere dabei hierfuer hierbei dafuer
    deren davon daher ebenfalls jeweils mehr neue neuen neuer neues ab je erst erste ersten erster zweite
    zweiten drei vier fuenf sechs sieben acht neun zehn zwei mindestens hoechstens soll sollen sollte gehen
    geht gibt ziel ziele direkt vollstaendig erhalten erhaelt etwa bereits derzeit kuenftig zudem ausserdem
    darueber hinaus pro jahr jahre jahren jahres prozent euro bisher heute dort damit wurde wurden worden
    sei seien koennen kann koennten wird gemeinsam moeglich moeglichst insgesamt jeweilige jeweiligen gilt
    gelten mehrere weitere weiteren ueberwiegend einzelne einzelnen beim laut gut neu alt grosse grossen
    kleine kleinen lang langen schnell schnellere ganz teil teile bzw usw inkl ggf evtl vgl dh the and of
    for to in on with a an by or be is are as at from this that
    """.split()
)


def fold(text: str) -> str:
    """Lower case, umlauts as ae/oe/ue, ß as ss, other accents dropped."""
    text = text.lower().translate(_FOLD)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def plain(text: str, limit: int = MAX_MEASURE_CHARS) -> str:
    """Text as plain text: markup and control characters removed, cut to ``limit`` characters."""
    return strip_control(_TAGS.sub(" ", text), " ")[:limit]


def words(text: str) -> list[str]:
    """Folded word tokens; hyphenated words come as a whole and as their parts."""
    tokens: list[str] = []
    for token in _TOKEN.findall(fold(text)):
        tokens.append(token)
        if "-" in token:
            tokens.extend(part for part in token.split("-") if part)
    return tokens


def stem(word: str) -> str:
    """The Snowball stem, remembered: the pure-Python stemmer takes about 0.1 ms a word."""
    found = _stems.get(word)
    if found is None:
        if len(_stems) >= MAX_REMEMBERED_STEMS:
            _stems.clear()
        found = _stems[word] = _STEMMER.stemWord(word)
    return found


def remembered_stems() -> dict[str, str]:
    """Every stem computed so far, word → stem; an index file keeps them so that a loaded index (and
    the thesaurus it loads) need not stem its words again."""
    return dict(_stems)


def remember_stems(stems: Mapping[str, str]) -> None:
    """Take stems computed earlier (by the same stemmer version) as known."""
    _stems.update(stems)


def content_words(text: str) -> list[str]:
    """Folded tokens without stop words, numbers or one-letter tokens."""
    return [w for w in words(text) if w not in STOP_WORDS and len(w) > 1 and not w.isdigit() and "-" not in w]


class CompoundSplitter:
    """Splits German compounds into parts it knows ("breitbandausbau" → "breitband", "ausbau").

    The lexicon is learnt from the corpus and the thesaurus: words of at least four letters. A word is
    split where both sides are known words (or the left side ends in a Fugen-s before a known word).
    """

    def __init__(self, lexicon: set[str]):
        self.lexicon = {w for w in lexicon if len(w) >= MIN_PART}
        self._memo: dict[str, tuple[str, ...]] = {}

    def split(self, word: str) -> tuple[str, ...]:
        if word not in self._memo:
            self._memo[word] = self._split(word)
        return self._memo[word]

    def head(self, word: str) -> str | None:
        """The last part of a compound ("fussverkehr" → "verkehr"), also where its first part is unknown."""
        parts = self.split(word)
        if parts:
            return parts[-1]
        for cut in range(2, len(word) - MIN_PART + 1):
            if word[cut:] in self.lexicon:
                return word[cut:]
        return None

    def _split(self, word: str) -> tuple[str, ...]:
        if len(word) < 2 * MIN_PART:
            return ()
        best: tuple[str, ...] = ()
        for cut in range(MIN_PART, len(word) - MIN_PART + 1):
            head, tail = word[:cut], word[cut:]
            if head in self.lexicon:
                pass
            elif head + "e" in self.lexicon:
                head += "e"
            elif head.endswith("s") and head[:-1] in self.lexicon:
                head = head[:-1]
            else:
                continue
            parts: tuple[str, ...]
            if tail in self.lexicon:
                parts = (head, tail)
            else:
                rest = self.split(tail)
                if not rest:
                    continue
                parts = (head, *rest)
            if len("".join(parts)) > len("".join(best)) or (best and len(parts) < len(best)):
                best = parts
        return best


# "Rad- und Fußverkehr", "Straßen-, Wege- und Brückenbau": truncated words before a conjunction
_TRUNCATED = re.compile(
    r"\b(\w+)-(?=(?:\s*,\s*\w+-)*\s*(?:,|und/oder|und|oder|bzw\.|sowie)\s+(\w+))",
)


def complete_truncations(text: str, splitter: CompoundSplitter) -> str:
    """Fill in the Ergänzungsstrich: "Rad- und Fußverkehr" → "radverkehr und Fußverkehr".

    The missing part is the head of the compound that closes the list, so "Rad-" meets "Radverkehr"
    and "Radweg" as a whole word would. Text without such lists comes back unchanged.
    """

    def complete(match: re.Match) -> str:
        head = splitter.head(fold(match[2]))
        return fold(match[1]) + head if head else match[0]

    return _TRUNCATED.sub(complete, text)


def analyse(text: str, splitter: CompoundSplitter | None = None) -> list[str]:
    """The index's tokens for a text: stems of content words plus stems of their compound parts."""
    if splitter is not None:
        text = complete_truncations(text, splitter)
    tokens: list[str] = []
    for word in content_words(text):
        tokens.append(stem(word))
        if splitter is not None:
            tokens.extend(stem(part) for part in splitter.split(word) if part not in STOP_WORDS)
    return tokens


def stem_sequence(text: str, splitter: CompoundSplitter | None = None) -> list[str]:
    """Stems of every word in order (stop words kept, so phrases stay phrases), compound parts after it."""
    sequence: list[str] = []
    for word in words(text):
        if "-" in word:
            continue  # its parts follow as words of their own
        sequence.append(stem(word))
        if splitter is not None and word not in STOP_WORDS:
            sequence.extend(stem(part) for part in splitter.split(word))
    return sequence
