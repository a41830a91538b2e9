"""Why a sentence was flagged, what kind of claim it is, and who made it.

All rules are regular expressions over one sentence (plus its predecessors for claimants).
They are meant to help a reviewer read a candidate quickly, not to be complete: a wrong
guess costs a glance, a missing one costs nothing.
"""

from __future__ import annotations

import re

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE = re.compile(
    rf"\b{_MONTH}\.?(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+(?:1[89]|20)\d\d)?\b(?<!\bMay)"
    r"|\b\d{4}-\d\d-\d\d\b|\b\d{1,2}:\d\d\b(?:\s?[ap]\.?m\.?)?"
    r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|tomorrow)\b"
    r"|\b(?:last|next|this) (?:week|month|year)\b"
    r"|\b(?:in|since|by|until|from) (?:1[89]|20)\d\d\b",
    re.I,
)
_NUMBER = re.compile(
    r"(?:[$€£]\s?)?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|percent\b|per cent\b|"
    r"(?:hundred|thousand|million|billion|trillion)\b))?"
    r"|\b(?:hundreds|thousands|millions|billions|dozens|half|twice|double[ds]?|tripled?)\b",
    re.I,
)
_COMPARISON = re.compile(
    r"\b(?:more|less|fewer|higher|lower|greater|larger|smaller|bigger) than\b|\bas many as\b|"
    r"\bat (?:least|most)\b|\bup to\b|\brecord\b|\b(?:largest|biggest|highest|lowest|most|least|"
    r"worst|best)\b|\b(?:increased?|decreased?|doubled|tripled|rose|fell|grew|declined)\b",
    re.I,
)
_SPEECH_VERB = (
    r"(?:said|says|say|told|tells|claimed|claims|warned|warns|added|adds|wrote|writes|stated|"
    r"noted|argued|argues|insisted|insists|announced|announces|confirmed|confirms|urged|urges|"
    r"reported|signall?ed|signals|estimated|estimates|described|accused|denied|"
    r"alleged|believes|thinks|posted|tweeted)"
)
_VERB = re.compile(rf"\b(?:(?:has|have|had|also|\w+ly)\s+)*{_SPEECH_VERB}\b")
_ACCORDING = re.compile(r"\baccording to ((?:the )?[^,.;:()\"“”]+)", re.I)
_QUOTE_MARKS = '"“”«»'
_CLAUSE_BREAK = re.compile(r"[,;:()\"“”«»—–]|\s-\s")
_LEADING_LINK = re.compile(
    r"^(?:(?:but|and|so|yet|then|meanwhile|however|in response|in a statement|instead)\b\s*)+",
    re.I,
)
_TITLE_WORDS = frozenset(
    [
        "president",
        "prime",
        "minister",
        "chancellor",
        "secretary",
        "mr",
        "mrs",
        "ms",
        "dr",
        "gen",
        "general",
        "sen",
        "senator",
        "rep",
        "gov",
        "governor",
        "king",
        "queen",
        "pope",
        "spokesperson",
        "spokesman",
        "spokeswoman",
        "chief",
        "leader",
        "ambassador",
        "commander",
        "mayor",
        "chairman",
        "chairwoman",
        "director",
        "head",
        "envoy",
        "premier",
        "lt",
        "col",
        "colonel",
        "adviser",
        "advisor",
    ]
)
_SPEAKER_NOUNS = frozenset(
    [
        "officials",
        "official",
        "experts",
        "analysts",
        "police",
        "government",
        "ministry",
        "spokesperson",
        "spokesman",
        "spokeswoman",
        "authorities",
        "sources",
        "residents",
        "witnesses",
        "observers",
        "leaders",
        "administration",
        "office",
        "kremlin",
        "military",
        "army",
        "command",
    ]
)
_PRONOUNS = {"he": "person", "she": "person", "they": "any"}
_NAME_RUN = re.compile(r"(?<!\S)[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*$")
_POSSESSIVE = re.compile(r"[A-Z][\w.]*['’]s")
_ENTITY = re.compile(
    r"(?<![\w.])(?:[A-Z](?:\.[A-Z])+\.?|[A-Z][\w'’-]*)(?:\s+(?:of\s+)?[A-Z][\w'’-]*)*"
)
_INITIALISM_END = re.compile(r"(?:^|[\s.])[A-Z]\.$")
_NOT_ENTITIES = frozenset(
    [
        "The",
        "A",
        "An",
        "I",
        "It",
        "He",
        "She",
        "They",
        "We",
        "You",
        "This",
        "That",
        "These",
        "Those",
        "But",
        "And",
        "In",
        "On",
        "At",
        "If",
        "When",
        "While",
        "As",
        "After",
        "Before",
        "Yet",
        "However",
        "Meanwhile",
        "Also",
        "Still",
        "For",
        "With",
        "Without",
        "From",
        "Instead",
        "Everyone",
        "Mr",
        "Mrs",
        "Ms",
        "Dr",
        "President",
        "Prime",
        "Minister",
        "AM",
        "PM",
    ]
)
_MAX_CLAIMANT_WORDS = 8
_LOOKBACK = 5

_PREDICTION = re.compile(
    r"\b(?:will|won't|would|going to|could|might|expected to|likely to|plans? to|forecasts?|"
    r"predicts?|projected|is set to|are set to|on track to)\b",
    re.I,
)
_CAUSAL = re.compile(
    r"\b(?:because|caused?|causes|causing|due to|led to|leads? to|lead to|result(?:ed|s)? in|"
    r"as a result|thanks to|enabled?|enables|blamed?|responsible for|so that|in return for)\b",
    re.I,
)
_RULES = re.compile(
    r"\b(?:law|laws|legal|illegal|unlawful|legislation|bill|ban(?:s|ned)?|banned|rules?|"
    r"regulations?|permission|permitted|allowed|treaty|sanctions?|constitution\w*|court|"
    r"ruled|mandatory|required by)\b",
    re.I,
)
_SUPPORT = re.compile(
    r"\b(?:vot(?:e|ed|es|ing)|ballots?|polls?|poll(?:ed|ing)|supported|backed|opposed|"
    r"endorsed|approval rating|approved|majority of)\b",
    re.I,
)


def reasons(text: str, top_features: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Short, readable explanations of why ``text`` looks check-worthy."""
    found = []
    dates = [m for m in _DATE.finditer(text) if m.group().strip()]
    numbers = [
        m.group().strip()
        for m in _NUMBER.finditer(text)
        if not any(d.start() <= m.start() < d.end() for d in dates)
    ]
    if numbers:
        found.append(f"contains a number or quantity ({_join(numbers)})")
    if dates:
        found.append(f"date ({_join(d.group() for d in dates)})")
    comparisons = [m.group() for m in _COMPARISON.finditer(text)]
    if comparisons:
        found.append(f"comparison ({_join(comparisons)})")
    attribution = _attribution_phrase(text)
    if attribution:
        found.append(f"attribution: '{attribution}'")
    entities = named_entities(text)
    if entities:
        found.append(f"named entity ({_join(entities)})")
    found.extend(f"model feature: '{feature}'" for feature in top_features)
    return found


def _join(items, limit: int = 3) -> str:
    unique = list(dict.fromkeys(items))
    return ", ".join(unique[:limit])


def named_entities(text: str) -> list[str]:
    """Runs of capitalised words, minus sentence openers and titles."""
    out = []
    for m in _ENTITY.finditer(text):
        words = m.group().split()
        while words and words[0].rstrip(".") in _NOT_ENTITIES:
            words.pop(0)
        if not words or _DATE.fullmatch(" ".join(words)):
            continue
        # A single capitalised word opening the sentence is usually just an opener.
        if m.start() == 0 and len(words) == 1 and m.group() == words[0]:
            continue
        entity = " ".join(words).rstrip("'’")
        if entity.endswith(".") and not _INITIALISM_END.search(entity):
            entity = entity[:-1]
        out.append(entity)
    return list(dict.fromkeys(e for e in out if e))


def claim_type(text: str) -> str:
    """One Full Fact claim type: quantity, quote, prediction, causal, rules, support, other.

    A sentence can be several types at once; the order below prefers the type a
    fact-checker would verify first (a number before the fact that someone said it).
    """
    without_dates = _DATE.sub(" ", text)
    if _NUMBER.search(without_dates):
        return "quantity"
    if _PREDICTION.search(text):
        return "prediction"
    if _CAUSAL.search(text):
        return "causal"
    if _RULES.search(text):
        return "rules"
    if _SUPPORT.search(text):
        return "support"
    if any(q in text for q in _QUOTE_MARKS) or _attribution_phrase(text):
        return "quote"
    return "other"


def find_claimant(sentences: list[str], index: int) -> str:
    """Who ``sentences[index]`` is attributed to, or "" if nobody is named.

    "he said"/"she said" resolve to the last named person in the preceding sentences, and a
    sentence that is nothing but a quotation inherits the speaker of the quotes before it.
    """
    sentence = sentences[index]
    claimant = _claimant(sentence)
    pronoun = _PRONOUNS.get(claimant.lower())
    if claimant and pronoun is None:
        return claimant
    if not claimant and not _is_bare_quote(sentence):
        return ""
    for previous in reversed(sentences[max(0, index - _LOOKBACK) : index]):
        found = _claimant(previous)
        if not found or found.lower() in _PRONOUNS:
            continue
        if pronoun == "person" and found.split()[0] in ("The", "the"):
            continue  # "he" is not "The Biden administration"
        return found
    return ""


def _is_bare_quote(sentence: str) -> bool:
    s = sentence.strip()
    return len(s) > 2 and s[0] in _QUOTE_MARKS and s.rstrip(".!?")[-1:] in _QUOTE_MARKS


def _claimant(sentence: str) -> str:
    according = _ACCORDING.search(sentence)
    if according:
        return _clean_claimant(according.group(1))
    for verb in _VERB.finditer(sentence):
        before = _CLAUSE_BREAK.split(sentence[: verb.start()])[-1]
        name = _clean_claimant(before)
        if name:
            return name
    return ""


def _attribution_phrase(text: str) -> str:
    """The claimant with its verb ("Zelensky said"), or "according to X"."""
    according = _ACCORDING.search(text)
    if according:
        return according.group().strip()
    for verb in _VERB.finditer(text):
        name = _clean_claimant(_CLAUSE_BREAK.split(text[: verb.start()])[-1])
        if name:
            return f"{name} {verb.group().split()[-1]}"
    return ""


def _clean_claimant(phrase: str) -> str:
    """Reduce the words before a speech verb to a claimant, or "" if they are not one."""
    words = _LEADING_LINK.sub("", phrase.strip()).split()
    if not words or len(words) > _MAX_CLAIMANT_WORDS:
        return ""
    if len(words) == 1 and words[0].lower() in _PRONOUNS:
        return words[0].lower()
    if words[0] in ("The", "the"):
        # "The Biden administration": an organisation named with its article.
        rest = words[1:]
        if any(w[:1].isupper() for w in rest) and (
            rest[-1][:1].isupper() or rest[-1].lower() in _SPEAKER_NOUNS
        ):
            return " ".join(words)
        return ""
    # Keep the name after the last title: "military intelligence chief Kyrylo Budanov".
    titled = [i for i, w in enumerate(words) if w.rstrip(".").lower() in _TITLE_WORDS]
    if titled and titled[-1] < len(words) - 1:
        words = words[titled[-1] + 1 :]
    if len(words) > 1 and _POSSESSIVE.fullmatch(words[0]):
        words = words[1:]  # "Ukraine's Zelenskyy" -> "Zelenskyy"
    name = " ".join(words)
    run = _NAME_RUN.search(name)
    if run and run.group():
        return run.group().rstrip(".")
    if words[-1].lower() in _SPEAKER_NOUNS and len(words) <= 4:
        return name  # "Western leaders", "U.S. defense officials"
    return ""
