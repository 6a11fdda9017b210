"""What a draft knows: the facts of municipality, measure and program, and visible gaps for the rest.

Every value reaches the template as a docxtpl ``RichText``: literal text, XML-escaped, never template
code. What only a person can write is a highlighted "[Bitte ergänzen: …]" with a hint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from docxtpl import RichText

from fundmatch import identity, instrument, vocab
from fundmatch.drafting.finance import FinancingPlan, plan
from fundmatch.german import format_amount, format_date, format_number, format_percent
from fundmatch.interchange import MeasureSpec
from fundmatch.scrapers import source_modules
from fundmatch.scrapers.deadlines import next_deadline
from fundmatch.scrapers.records import ProgramRecord
from fundmatch.shapes import strip_control

MAX_FIELD = 200_000
NOT_A_GRANT = "entfällt (kein Zuschuss)"
PLACEHOLDER_SHADING = "#FFE699"
COUNCIL_LEAD = timedelta(weeks=6)


@dataclass(frozen=True)
class MunicipalityInfo:
    name: str
    land: str
    ags: str | None = None
    kind: str | None = None
    population: int | None = None
    financially_weak: bool = False
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class DraftInput:
    measure: MeasureSpec
    program: ProgramRecord
    municipality: MunicipalityInfo | None = None


def gap(hint: str) -> RichText:
    """A visible placeholder for what only the consultant can write."""
    text = RichText()
    text.add(f"[Bitte ergänzen: {hint}]", highlight=PLACEHOLDER_SHADING, italic=True)
    return text


def literal(value: object) -> RichText:
    """Any value as literal text: markup and template syntax stay characters; control characters go."""
    return RichText(strip_control(str(value))[:MAX_FIELD])


def known(value: object, hint: str) -> RichText:
    return literal(value) if value not in (None, "", []) else gap(hint)


def attribution(program: ProgramRecord) -> str:
    modules = source_modules()
    if program.source in modules and modules[program.source].SOURCE.attribution:
        return f"Quelle: {modules[program.source].SOURCE.attribution}, {program.url} (Text wörtlich übernommen)."
    return f"Quelle: fundmatch-Katalog (eigene Zusammenfassung), {program.url}."


def _finance(finance: FinancingPlan) -> dict:
    # A loan's rate, Zuwendung and own share do not exist: "entfällt", never a gap to fill in.
    missing = gap("Betrag") if finance.grant_program else literal(NOT_A_GRANT)
    return {
        "total": literal(format_amount(finance.total)) if finance.total else gap("Gesamtausgaben"),
        "eligible": literal(format_amount(finance.eligible)) if finance.total else gap("zuwendungsfähige Ausgaben"),
        "rate": (gap("Fördersatz laut Richtlinie") if finance.grant_program else literal(NOT_A_GRANT))
        if finance.rate is None
        else literal(format_percent(finance.rate)),
        "grant": literal(format_amount(finance.grant)) if finance.grant is not None else missing,
        "own_share": literal(format_amount(finance.own_share)) if finance.own_share is not None else missing,
        "third_party": literal(format_amount(finance.third_party)),
        "cost_items": [
            {
                "category": literal(i.category),
                "description": literal(i.description),
                "total": literal(format_amount(i.total)),
                "eligible": literal(format_amount(i.eligible)),
            }
            for i in finance.items
        ],
        "years": [
            {
                "year": literal(y.year),
                "total": literal(format_amount(y.total)),
                "grant": literal(format_amount(y.grant))
                if y.grant is not None
                else (gap("Zuwendung") if finance.grant_program else literal(NOT_A_GRANT)),
                "own_share": literal(format_amount(y.own_share))
                if y.own_share is not None
                else (gap("Eigenanteil") if finance.grant_program else literal(NOT_A_GRANT)),
            }
            for y in finance.years
        ],
        "notes": [literal(n) for n in finance.notes],
    }


def annexes(program: ProgramRecord) -> list[str]:
    grant = instrument.is_grant(program.funding_types)
    items = [
        "Beschluss des Gemeinderats bzw. Kreistags zur Durchführung und zur Bereitstellung "
        + ("des Eigenanteils" if grant else "der Finanzierung"),
        "Haushaltsplan oder Bestätigung der Haushaltsstelle für "
        + ("den Eigenanteil" if grant else "Zins und Tilgung"),
        "Kostenschätzung bzw. Angebote zu den geplanten Ausgaben",
        "Erklärung, dass mit dem Vorhaben noch nicht begonnen wurde (kein vorzeitiger Maßnahmebeginn ohne Zustimmung)",
        "Zeit- und Arbeitsplan",
        "Nachweis der Vergabe nach Vergaberecht (UVgO, VOB/A bzw. VgV)",
    ]
    if "darlehen" in program.funding_types:
        items.append("Kreditantrag und Unterlagen für die Förderbank (bei Kommunen: Genehmigung der Kreditaufnahme)")
    if "unternehmen" in program.applicant_types or "de-minimis" in (program.legal_basis or "").lower():
        items.append("De-minimis-Erklärung (bei Beihilfen an Unternehmen, z. B. kommunale Gesellschaften)")
    if program.level == "eu":
        items += ["Registrierung (PIC) im Funding & Tenders Portal", "Absichtserklärungen der Konsortialpartner"]
    return items


def key_dates(program: ProgramRecord, measure: MeasureSpec, today: date) -> list[dict]:
    dates = []
    upcoming = next_deadline(program.deadlines, today)
    for deadline in sorted(program.deadlines, key=lambda d: d.date):
        if deadline.date >= today:
            label = vocab.DEADLINE_KIND.label(deadline.kind)
            dates.append((deadline.date, f"{label}{f' ({deadline.note})' if deadline.note else ''}"))
    if upcoming is not None:
        council = upcoming - COUNCIL_LEAD
        dates.append((max(council, today), "Ratsbeschluss einholen (spätestens sechs Wochen vor der Frist empfohlen)"))
    if measure.start:
        dates.append((measure.start, "geplanter Beginn – erst nach Bewilligung oder Zustimmung zum vorzeitigen Beginn"))
    rows = [{"date": literal(format_date(day)), "what": literal(what)} for day, what in sorted(dates)]
    if program.rolling:
        rows.insert(0, {"date": literal("laufend"), "what": literal("Anträge jederzeit möglich")})
    return rows or [{"date": gap("Datum"), "what": gap("Antragsfrist beim Fördergeber erfragen")}]


def _facts_text(facts: date | None, today: date) -> dict:
    """ "Stand der Angaben", with the warning of facts over a year old kept in the draft itself."""
    if facts is None:
        return gap("Stand der Programmangaben an der Quelle prüfen")
    text = f"Stand der Angaben: {format_date(facts)}"
    if identity.is_stale(facts, today):
        return gap(f"{text} – älter als 12 Monate, vor Antragstellung an der Quelle prüfen")
    return literal(text)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def build_context(draft: DraftInput, today: date) -> dict:
    """The template context: facts as literal text, gaps as highlighted placeholders."""
    measure, program, municipality = draft.measure, draft.program, draft.municipality
    finance = plan(
        cost_eur=measure.cost_eur,
        rate_min=program.funding_rate_min,
        rate_max=program.funding_rate_max,
        rate_financially_weak=program.financially_weak_rate,
        amount_max_eur=program.amount_max_eur,
        financially_weak=bool(municipality and municipality.financially_weak),
        start=measure.start,
        time_horizon=measure.time_horizon,
        grant_program=instrument.is_grant(program.funding_types),
    )
    facts = identity.facts_date(program)
    m = municipality or MunicipalityInfo(name="", land=measure.land)
    upcoming = next_deadline(program.deadlines, today)
    contact = program.contacts[0] if program.contacts else None
    years = {"kurz": "bis 1 Jahr", "mittel": "1–3 Jahre", "lang": "über 3 Jahre"}
    return {
        "today": literal(format_date(today)),
        "header_left": literal(_shorten(f"{measure.title} · {program.title}", 110)),
        "footer_note": literal(
            f"Entwurf – {m.name or 'Antragsteller'} – erstellt mit fundmatch am {format_date(today)}"
        ),
        "measure": {
            "title": literal(measure.title),
            "description": known(measure.description, "Kurzbeschreibung der Maßnahme (3–5 Sätze)"),
            "handlungsfeld": known(vocab.HANDLUNGSFELD.labels.get(measure.handlungsfeld or ""), "Handlungsfeld"),
            "goal": known(measure.goal, "strategisches Ziel der Digitalstrategie, dem die Maßnahme dient"),
            "start": known(format_date(measure.start) if measure.start else None, "geplanter Beginn"),
            "duration": known(years.get(measure.time_horizon or ""), "Laufzeit in Monaten"),
            "time_horizon": known(vocab.TIME_HORIZON.labels.get(measure.time_horizon or ""), "Zeithorizont"),
        },
        "municipality": {
            "name": known(m.name, "Name der Kommune"),
            "kind": known(vocab.MUNICIPALITY_TYPE.labels.get(m.kind or "", m.kind), "Gemeinde / Stadt / Landkreis"),
            "ags": known(m.ags, "Amtlicher Gemeindeschlüssel"),
            "land": literal(vocab.REGION.label(m.land)),
            "population": known(format_number(m.population, grouping=True) if m.population else None, "Einwohnerzahl"),
            "contact_name": known(m.contact_name, "Ansprechperson"),
            "contact_email": known(m.contact_email, "E-Mail"),
            "contact_phone": known(m.contact_phone, "Telefon"),
            "address": known(m.address, "Anschrift der Verwaltung"),
        },
        "program": {
            "title": literal(program.title),
            "source_id": literal(program.source_id),
            "url": literal(program.url),
            "funder": known(program.funder, "Fördergeber"),
            "legal_basis": known((program.legal_basis or "").split("\n")[0][:500], "Förderrichtlinie mit Datum"),
            "summary": known(program.summary, "Ziele des Programms laut Richtlinie"),
            "attribution": literal(attribution(program)),
            "next_deadline": literal(format_date(upcoming))
            if upcoming
            else (literal("laufend") if program.rolling else gap("Antragsfrist")),
            "deadlines": known(
                "; ".join(f"{format_date(d.date)} ({vocab.DEADLINE_KIND.label(d.kind)})" for d in program.deadlines),
                "Fristen",
            ),
            "contact_name": known(contact.name if contact else None, "Ansprechstelle des Fördergebers"),
            "contact_address": known(contact.address if contact else None, "Anschrift der Ansprechstelle"),
            "instrument": literal(
                instrument.summary(
                    program.funding_types, program.funding_rate_min, program.funding_rate_max, program.amount_max_eur
                )
            ),
            "facts_as_of": _facts_text(facts, today),
            "documents": known(
                "; ".join(f"{vocab.DOCUMENT_KIND.label(d.kind)}: {d.title} ({d.url})" for d in program.documents),
                "Förderrichtlinie (Link und Fassung)",
            ),
        },
        "finance": _finance(finance),
        "gaps": {
            "situation": gap("Ausgangslage und Bedarf: heutiger Stand, Problem, Zahlen aus der Bestandsaufnahme"),
            "contribution": gap("Wie trägt das Vorhaben zu den Zielen des Programms und der Digitalstrategie bei?"),
            "sustainability": gap("Betrieb, Finanzierung und Verantwortung nach Ende der Förderung"),
            "letter_reason": gap("zwei Sätze, warum das Vorhaben für die Kommune wichtig ist"),
            "signature": gap("Name, Funktion (z. B. Bürgermeister/in)"),
            "objectives": gap("objectives, measurable, and ambition beyond the state of the art"),
            "methodology": gap("concept and methodology"),
            "pathways": gap("expected outcomes and impacts, with target groups"),
            "dissemination": gap("dissemination, exploitation and communication measures"),
        },
        "indicators": [
            {"goal": gap("Ziel"), "indicator": gap("Indikator"), "target": gap("Zielwert"), "when": gap("Datum")}
        ],
        "work_packages": [
            {"number": literal(n), "title": gap(t), "content": gap("Inhalt"), "period": gap("Monate")}
            for n, t in (("1", "Vorbereitung und Vergabe"), ("2", "Umsetzung"), ("3", "Einführung, Evaluation"))
        ],
        "milestones": [{"what": gap("Meilenstein"), "date": gap("Datum")}],
        "partners": [
            {
                "name": known(m.name, "Antragsteller"),
                "role": literal("Antragsteller"),
                "responsibility": gap("Zuständigkeit"),
            },
            {"name": gap("Partner"), "role": gap("Rolle"), "responsibility": gap("Zuständigkeit")},
        ],
        "annexes": [literal(a) for a in annexes(program)],
        "key_dates": key_dates(program, measure, today),
    }
