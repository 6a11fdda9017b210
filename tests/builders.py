"""Builders for interchange documents used across tests."""

from __future__ import annotations


def program(**overrides) -> dict:
    record = {
        "source": "manual",
        "source_id": "land/by/gigabit",
        "title": "Bayerische  Gigabitrichtlinie",
        "url": "https://www.stmfh.bayern.de/breitband/",
        "level": "land",
        "regions": ["BY"],
        "funding_types": ["zuschuss"],
        "applicant_types": ["kommune"],
        "topics": ["infrastruktur", "digitalisierung"],
        "funding_rate_min": 80,
        "funding_rate_max": 90,
        "amount_max_eur": 10_000_000,
        "deadlines": [{"date": "2027-03-31", "kind": "submission", "note": "Stichtag"}],
        "rolling": False,
        "status": "open",
        "contact": {"name": "Breitbandzentrum", "url": "https://www.schnelles-internet-in-bayern.de/"},
        "keywords": ["Glasfaser", "FTTB"],
        "source_updated": "2026-03-12",
        "last_seen": "2026-11-20T04:00:00Z",
    }
    record.update(overrides)
    return record


def document(*programs: dict, **header) -> dict:
    return {"format": "fundmatch-catalogue", "version": 1, "programs": list(programs), **header}
