"""Synthetic but sentence-like English text from a seeded generator (same seed, same text)."""

from __future__ import annotations

import random
from pathlib import Path

_NAMES = [
    "Amina Odhiambo", "Jean-Marc Pierre", "Grace Wanjiru", "Luis Herrera", "Fatima Bello",
    "Samuel Kiptoo", "Marie Joseph", "David Mwangi", "Claire Dubois", "Peter Otieno",
]
_ROLES = [
    "the mayor", "the police commander", "a council spokesperson", "the health minister",
    "an aid coordinator", "the regional governor", "a school principal", "the port director",
]
_PLACES = [
    "Nairobi", "Port-au-Prince", "Mombasa", "Cap-Haitien", "Kisumu", "Les Cayes", "Nakuru",
    "Gonaives", "Eldoret", "Jacmel", "the northern district", "the coastal province",
]
_SUBJECTS = [
    "The committee", "The new clinic", "Local officials", "The transport authority",
    "Volunteers", "The water utility", "Farmers in the valley", "The city council",
    "A group of engineers", "The relief agency", "Residents", "The school board",
]
_VERBS = [
    "announced", "completed", "postponed", "approved", "inspected", "funded", "reviewed",
    "expanded", "delivered", "criticised", "launched", "suspended",
]
_OBJECTS = [
    "a road repair programme", "the rebuilding of the market", "a vaccination campaign",
    "new training for officers", "a plan to extend the railway", "the budget for next year",
    "emergency food supplies", "a survey of flood damage", "the opening of two schools",
    "a review of security arrangements", "a solar power project", "the harbour dredging",
]
_REASONS = [
    "after heavy rains damaged several bridges", "because demand had doubled since spring",
    "following complaints from residents", "as part of a wider reform", "despite delays",
    "once the funding was confirmed", "after talks with regional partners",
]
_MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]


def sentence(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return (
            f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} in "
            f"{rng.choice(_PLACES)} {rng.choice(_REASONS)}."
        )
    if kind == 1:
        return (
            f"According to {rng.choice(_ROLES)}, {rng.choice(_NAMES)}, about "
            f"{rng.randrange(2, 900) * 10:,} people were affected in {rng.choice(_MONTHS)} "
            f"{rng.randrange(2015, 2026)}."
        )
    if kind == 2:
        return (
            f"{rng.choice(_NAMES)} said that {rng.choice(_OBJECTS)} would cost "
            f"{rng.randrange(1, 500)} million shillings and take {rng.randrange(2, 30)} months."
        )
    return (
        f"In {rng.choice(_PLACES)}, {rng.choice(_SUBJECTS).lower()} {rng.choice(_VERBS)} "
        f"{rng.choice(_OBJECTS)}, while {rng.choice(_ROLES)} {rng.choice(_VERBS)} "
        f"{rng.choice(_OBJECTS)}."
    )


def document(rng: random.Random, paragraphs: tuple[int, int] = (3, 5)) -> str:
    """A headline and a few paragraphs of three to six sentences each."""
    title = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
    body = [
        " ".join(sentence(rng) for _ in range(rng.randint(3, 6)))
        for _ in range(rng.randint(*paragraphs))
    ]
    return "\n\n".join([title, *body]) + "\n"


def write_corpus(folder: Path, count: int, seed: int) -> list[Path]:
    """`count` documents as doc_00000.txt ... under `folder`."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"doc_{i:05d}.txt"
        path.write_text(document(rng), encoding="utf-8")
        paths.append(path)
    return paths
