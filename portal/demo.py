"""A demo building modelled on a 71-dwelling intergenerational residence in France."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from portal.auth import service as auth
from portal.extensions import db
from portal.people import service as people
from portal.people.models import (
    STAFF_ROLES,
    Building,
    Dwelling,
    DwellingType,
    Organisation,
    Person,
    Role,
)
from portal.urls import public_base_url

ORGANISATION = "Habitat Solidaire Métropole"
BUILDING = "Résidence Les Tilleuls"
ADDRESS = "12 rue des Tilleuls, 59000 Lille"
CONCIERGE_PHONE = "03 20 00 00 00"
CONCIERGE_HOURS = "Lundi–vendredi 8 h–12 h et 14 h–18 h"
DEMO_PIN = "1234"
DEMO_PASSWORD = "tilleuls-demo-2026"
YEAR = 2026

FLOOR_SIZES = (11, 12, 12, 12, 12, 12)  # ground floor + 5 floors = 71 dwellings

STAFF = (
    (Role.COORDINATOR, "Camille", "Roussel", "coordination@tilleuls.example.org"),
    (Role.CONCIERGE, "Karim", "Benali", "concierge@tilleuls.example.org"),
    (Role.MANAGER, "Sophie", "Marchand", "direction@habitat-solidaire.example.org"),
)

SENIOR_WOMEN = [
    "Jeanne",
    "Marguerite",
    "Simone",
    "Yvette",
    "Paulette",
    "Odette",
    "Germaine",
    "Lucienne",
    "Colette",
    "Denise",
    "Huguette",
    "Monique",
    "Josette",
    "Ginette",
]
SENIOR_MEN = [
    "Marcel",
    "René",
    "Robert",
    "André",
    "Lucien",
    "Roger",
    "Maurice",
    "Gérard",
    "Raymond",
    "Henri",
    "Fernand",
    "Jacques",
]
ADULT_WOMEN = [
    "Nathalie",
    "Sandrine",
    "Aurélie",
    "Fatima",
    "Céline",
    "Amandine",
    "Karima",
    "Julie",
    "Élodie",
    "Mélanie",
    "Samia",
    "Virginie",
    "Stéphanie",
    "Aïcha",
]
ADULT_MEN = [
    "Julien",
    "Mehdi",
    "Nicolas",
    "Sébastien",
    "Thomas",
    "Youssef",
    "Mathieu",
    "Olivier",
    "Rachid",
    "Damien",
    "Sylvain",
    "Kevin",
    "Alexandre",
    "Moussa",
]
CHILDREN = [
    "Léa",
    "Lucas",
    "Inès",
    "Nathan",
    "Chloé",
    "Adam",
    "Manon",
    "Hugo",
    "Jade",
    "Rayan",
    "Emma",
    "Louis",
    "Lina",
    "Gabriel",
    "Sarah",
    "Enzo",
    "Yasmine",
    "Noah",
]
SURNAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Lefebvre",
    "Leroy",
    "Moreau",
    "Petit",
    "Roux",
    "Fournier",
    "Girard",
    "Lambert",
    "Bonnet",
    "François",
    "Mercier",
    "Dupont",
    "Lemaire",
    "Haddad",
    "Nguyen",
    "Diallo",
    "Caron",
    "Delattre",
    "Vasseur",
    "Dumont",
    "Lecomte",
    "Carpentier",
    "Brahimi",
    "Deschamps",
    "Wattel",
    "Boulanger",
    "Ferreira",
    "Masson",
    "Lemoine",
    "Hamidi",
    "Delcroix",
    "Devos",
    "Camara",
    "Vandenberghe",
    "Lucas",
    "Fontaine",
    "Renard",
]

# Household kinds: (count, builder name)
HOUSEHOLDS = (
    (22, "senior_alone"),
    (8, "retired_couple"),
    (8, "disabled_adult"),
    (14, "single_adult"),
    (14, "family"),
    (5, "couple"),
)


DemoHook = Callable[[Building], None]
_demo_hooks: list[DemoHook] = []
# A domain's lines of the printed logins, given the building and the portal's address: for
# its people who are not staff (a relative, a partner), who log in on their own page.
LoginLines = Callable[[Building, str], list[str]]
_login_sections: list[LoginLines] = []


def on_demo_built(hook: DemoHook) -> DemoHook:
    """Register a domain's demo content, added through its services once the building exists."""
    if hook not in _demo_hooks:
        _demo_hooks.append(hook)
    return hook


def on_demo_logins(section: LoginLines) -> LoginLines:
    """Register a domain's section of the printed logins (after the staff's)."""
    if section not in _login_sections:
        _login_sections.append(section)
    return section


@dataclass
class DemoSummary:
    """What the demo contains and how to log in to it."""

    building: Building
    residents: int
    dwellings: int
    showcase: list[tuple[Person, str]] = field(default_factory=list)
    staff: list[Person] = field(default_factory=list)


def load_demo(seed: int = 7) -> DemoSummary:
    """Build the demo building once; later runs only issue fresh cards for the showcase.
    Writes in the caller's transaction (`flask demo load` commits it)."""
    org = db.session.scalars(select(Organisation).where(Organisation.name == ORGANISATION)).first()
    if org is None:
        org = _build(seed)
        for hook in _demo_hooks:
            hook(org.buildings[0])
    building = org.buildings[0]
    showcase = _showcase_residents(building)
    cards = [(person, auth.do_issue_card(person, issued_by=None)) for person in showcase]
    staff = list(
        db.session.scalars(
            select(Person).where(
                Person.organisation_id == org.id, Person.role.in_(sorted(STAFF_ROLES))
            )
        )
    )
    return DemoSummary(
        building=building,
        residents=people.count_residents(building.id),
        dwellings=people.count_dwellings(building.id),
        showcase=cards,
        staff=staff,
    )


def _build(seed: int) -> Organisation:
    rng = random.Random(seed)
    org = people.do_create_organisation(ORGANISATION)
    building = people.do_create_building(
        org,
        BUILDING,
        address=ADDRESS,
        concierge_phone=CONCIERGE_PHONE,
        concierge_hours=CONCIERGE_HOURS,
    )
    dwellings = _build_dwellings(building)
    _build_households(rng, org, dwellings)
    for role, first, last, email in STAFF:
        person = people.do_create_person(
            organisation=org,
            role=role,
            first_name=first,
            last_name=last,
            email=email,
            building=building,
            covered_buildings=[building],
            phone="03 20 00 00 01",
        )
        auth.do_set_password(person, DEMO_PASSWORD)
    return org


def _build_dwellings(building: Building) -> list[Dwelling]:
    specs: list[tuple[str, int, DwellingType]] = []
    kinds = (DwellingType.T1, DwellingType.T2, DwellingType.T2, DwellingType.T3, DwellingType.T4)
    for floor, size in enumerate(FLOOR_SIZES):
        for n in range(1, size + 1):
            kind = kinds[(n - 1) % len(kinds)] if n < size else DwellingType.T5
            specs.append((f"{floor}{n:02d}", floor, kind))
    return people.do_create_dwellings(building, specs)


def _dwellings_by_size(dwellings: list[Dwelling]) -> dict[str, list[Dwelling]]:
    small = [d for d in dwellings if d.kind in (DwellingType.T1, DwellingType.T2)]
    large = [d for d in dwellings if d.kind not in (DwellingType.T1, DwellingType.T2)]
    # Older people live low down, near the lift and the concierge.
    small.sort(key=lambda d: (d.floor, d.number))
    return {"small": small, "large": large}


def _build_households(rng: random.Random, org: Organisation, dwellings: list[Dwelling]) -> None:
    pools = _dwellings_by_size(dwellings)
    surnames = SURNAMES[:]
    rng.shuffle(surnames)
    surname_iter = iter(surnames * 3)

    def add(dwelling: Dwelling, first: str, last: str, born: int, pin: bool = True) -> None:
        pairs = [rng.randint(10, 99) for _ in range(4)]
        person = people.add_person(
            organisation=org,
            role=Role.RESIDENT,
            first_name=first,
            last_name=last,
            dwelling=dwelling,
            birth_year=born,
            locale="fr",
            phone="06 " + " ".join(str(pair) for pair in pairs),
        )
        if pin:
            person.pin_hash = DEMO_PIN_HASH

    DEMO_PIN_HASH = auth.hash_secret(DEMO_PIN)
    # The first household is Jeanne Martin, 84, who lives alone: the showcase resident.
    first_small = pools["small"].pop(0)
    add(first_small, "Jeanne", "Martin", 1942)
    for count, kind in HOUSEHOLDS:
        for i in range(count - (1 if kind == "senior_alone" else 0)):
            last = next(surname_iter)
            if kind == "senior_alone":
                first = rng.choice(SENIOR_WOMEN if i % 4 else SENIOR_MEN)
                add(pools["small"].pop(0), first, last, rng.randint(1932, 1950))
            elif kind == "retired_couple":
                dwelling = pools["small"].pop(0)
                add(dwelling, rng.choice(SENIOR_WOMEN), last, rng.randint(1944, 1962))
                add(dwelling, rng.choice(SENIOR_MEN), last, rng.randint(1942, 1960))
            elif kind == "disabled_adult":
                first = rng.choice(ADULT_MEN if i % 2 else ADULT_WOMEN)
                add(pools["small"].pop(0), first, last, rng.randint(1968, 1996))
            elif kind == "single_adult":
                first = rng.choice(ADULT_WOMEN if i % 2 else ADULT_MEN)
                pool = pools["small"] or pools["large"]
                add(pool.pop(0), first, last, rng.randint(1975, 2001))
            elif kind == "family":
                dwelling = pools["large"].pop(0)
                add(dwelling, rng.choice(ADULT_WOMEN), last, rng.randint(1978, 1992))
                if i % 3:  # two thirds are two-parent families
                    add(dwelling, rng.choice(ADULT_MEN), last, rng.randint(1976, 1990))
                for _ in range(1 + i % 2):
                    born = rng.randint(2010, 2022)
                    add(dwelling, rng.choice(CHILDREN), last, born, pin=born <= YEAR - 12)
            else:  # couple
                pool = pools["large"] or pools["small"]
                dwelling = pool.pop(0)
                add(dwelling, rng.choice(ADULT_WOMEN), last, rng.randint(1970, 1998))
                add(dwelling, rng.choice(ADULT_MEN), last, rng.randint(1968, 1996))
    db.session.flush()


def _showcase_residents(building: Building) -> list[Person]:
    """Jeanne (84, alone), a teenager and a parent: the people the demo shows first."""
    residents = people.list_residents(building)
    jeanne = next(p for p in residents if p.first_name == "Jeanne" and p.last_name == "Martin")
    teen = next(p for p in residents if p.birth_year and YEAR - 17 <= p.birth_year <= YEAR - 13)
    parent = next(p for p in residents if p.birth_year and 1978 <= p.birth_year <= 1990)
    return [jeanne, teen, parent]


def format_logins(summary: DemoSummary) -> str:
    """The text printed by `flask demo load`: who to log in as, and how."""
    base = public_base_url()
    lines = [
        f"Demo building: {summary.building.name} — {summary.dwellings} dwellings, "
        f"{summary.residents} residents.",
        "",
        "Residents — open the login card link (a printed card's QR code holds it):",
    ]
    for person, token in summary.showcase:
        age = f", {YEAR - person.birth_year} ans" if person.birth_year else ""
        dwelling = person.dwelling.number if person.dwelling else "?"
        lines.append(f"  {person.full_name} (logement {dwelling}{age})")
        lines.append(f"    card: {base}/login/card/{token}")
    lines += [
        f"  After one card login the tablet shows its residents' photos: tap one, code {DEMO_PIN}.",
        "",
        f"Staff — {base}/login/staff, password: {DEMO_PASSWORD}",
    ]
    for person in summary.staff:
        lines.append(f"  {person.role.value:<12} {person.full_name:<20} {person.email}")
    for section in _login_sections:
        found = section(summary.building, base)
        if found:
            lines += ["", *found]
    return "\n".join(lines)
