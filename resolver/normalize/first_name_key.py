"""``first_name_key``: a nickname-aware canonical first name, folded only when unambiguous.

'bob', 'rob', 'robert' -> 'robert'; but two formal names are never joined:
'emily', 'amy' and 'amelia' keep their own keys (the ``nicknames`` table files
both emily and amy under amelia), and a nickname of several names ('mat':
martha or mathew; 'chris': christopher or christine) stays as it is. The broad
"may be the same name" relation is ``nickname_variants.first_name_variants``.
"""

from __future__ import annotations

from functools import lru_cache

from nicknames import NickNamer

# Curated nickname -> formal name, each unambiguous (a nickname read the same way
# almost always). Short forms shared by distinct names ('al': alan/albert/alfred,
# 'chris': christopher/christine, 'sam': samuel/samantha, 'alex', 'bert', 'harry')
# are deliberately absent: a first_name_key must never join two people.
_NICK_OVERRIDES = {
    **dict.fromkeys(["bob", "bobby", "rob", "robbie"], "robert"),
    **dict.fromkeys(["bill", "billy", "will", "willy", "willie"], "william"),
    **dict.fromkeys(["mike", "mikey", "mick", "mickey"], "michael"),
    **dict.fromkeys(["tom", "tommy", "thom"], "thomas"),
    **dict.fromkeys(["alec"], "alexander"),
    **dict.fromkeys(["tony"], "anthony"),
    **dict.fromkeys(["jack", "johnny", "jon"], "john"),
    **dict.fromkeys(["rick", "ricky", "rich", "richie", "dick"], "richard"),
    **dict.fromkeys(["hank"], "henry"),
    **dict.fromkeys(["ann", "anne", "annie"], "anna"),
    **dict.fromkeys(["beth", "betty", "betsy", "liz", "lizzie", "eliza"], "elizabeth"),
    **dict.fromkeys(["andy", "drew"], "andrew"),
    **dict.fromkeys(["dan", "danny"], "daniel"),
    **dict.fromkeys(["chuck", "charlie"], "charles"),
    **dict.fromkeys(["deb", "debbie", "debby", "debra"], "deborah"),
    **dict.fromkeys(["jen", "jenny", "jenn"], "jennifer"),
    **dict.fromkeys(["molly", "polly", "mae"], "mary"),
    **dict.fromkeys(["jim", "jimmy"], "james"),
    **dict.fromkeys(["peggy", "maggie"], "margaret"),
    **dict.fromkeys(["dave", "davey"], "david"),
    **dict.fromkeys(["greg"], "gregory"),
    **dict.fromkeys(["pete"], "peter"),
    **dict.fromkeys(["doug"], "douglas"),
    **dict.fromkeys(["josh"], "joshua"),
    **dict.fromkeys(["matt"], "matthew"),
}
_NICK_TARGETS = frozenset(_NICK_OVERRIDES.values())
# A name with this many nicknames of its own in the table is a formal name: kept
# ('oliver', 'sophia', 'megan' have one; with a higher bar they were folded away).
_FORMAL_NICKNAMES = 1
# Given names in their own right that the nickname table files under one other
# name ('amy' under 'amelia', 'mark' under 'marcus', 'felix' under 'felicia'):
# never folded into it.
_OWN_NAMES = frozenset(
    [
        "amy",
        "angelique",
        "basil",
        "brandy",
        "bryant",
        "callie",
        "carri",
        "cora",
        "day",
        "evan",
        "evelina",
        "felix",
        "fay",
        "gay",
        "georgia",
        "green",
        "honey",
        "ivy",
        "jackie",
        "jaye",
        "joy",
        "jodi",
        "jr",
        "juda",
        "junius",
        "justina",
        "justus",
        "kenj",
        "kenji",
        "laura",
        "lea",
        "little",
        "loren",
        "lori",
        "lucius",
        "marc",
        "marcia",
        "marianna",
        "mark",
        "micah",
        "mollie",
        "monte",
        "nichole",
        "one",
        "ralph",
        "rafa",
        "rickie",
        "roby",
        "ross",
        "rupert",
        "salmon",
        "saul",
        "see",
        "smitty",
        "theodosius",
        "thirza",
        "traci",
        "tracie",
        "tracy",
        "webb",
        "west",
        "wood",
    ]
)


@lru_cache(maxsize=1)
def _namer():  # built lazily: loading the nickname table takes ~50 ms

    return NickNamer()


def _nick_step(name: str) -> str:
    """One step towards the formal name, taken only when it is unambiguous.

    A curated nickname maps to its formal name. Otherwise the table is used only
    for a name that is no formal name itself (few nicknames of its own, not a
    known given name) and is the nickname of exactly one name with its initial:
    'jimmy' -> 'james', but 'emily' (a formal name), 'amy' (a given name in its
    own right) and 'mat' (martha or mathew) stay as they are.
    """
    if name in _NICK_OVERRIDES:
        return _NICK_OVERRIDES[name]
    if name in _NICK_TARGETS or name in _OWN_NAMES:
        return name
    namer = _namer()
    if len(namer.nicknames_of(name)) >= _FORMAL_NICKNAMES:
        return name  # a formal name in its own right: 'emily', 'amelia', 'john'
    canon = namer.canonicals_of(name)
    if len(canon) != 1:
        return name  # unknown, or ambiguous: 'mat' (martha, mathew)
    (formal,) = canon
    if formal[:1] != name[:1]:
        return name  # 'leah' -> 'ashley', 'noah' -> 'manoah': not a short form
    return formal


@lru_cache(maxsize=65536)
def first_name_key(first: str | None) -> str | None:
    """Nickname-aware canonical first name: 'bob', 'rob', 'robert' -> 'robert'."""
    if not first:
        return None
    name = first.split("-")[0]  # 'mary-kate' -> 'mary'
    seen = [name]
    while True:
        nxt = _nick_step(seen[-1])
        if nxt == seen[-1]:
            return nxt
        if nxt in seen:  # a cycle in the table: take its smallest member
            return min(seen[seen.index(nxt) :])
        seen.append(nxt)
