"""Übersicht: deadlines of shortlisted programs, news that concern active measures, refresh status, and
curated programs whose review is due."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, render_template

from fundmatch import curation, municipalities, shortlist, sources
from fundmatch.matching.service import match_measures
from fundmatch.web import get_session

bp = Blueprint("dashboard", __name__)
NEWS_DEPTH = 20


@bp.route("/")
def index():
    session = get_session()
    today = date.today()
    deadlines = shortlist.upcoming_deadlines(session, today, days=60)
    news = shortlist.news_since_last_refresh(session)
    relevant_news = []
    measures = municipalities.all_measures(session)
    if news and measures:
        run = match_measures(
            session,
            current_app.extensions["fundmatch.settings"],
            [municipalities.measure_spec(m) for m in measures],
            top=NEWS_DEPTH,
        )
        news_keys = {p.key: p for p in news}
        by_id = {str(m.id): m for m in measures}
        for spec, matches in run.results:
            for match in matches:
                if match.key in news_keys:
                    relevant_news.append((by_id[spec.id], news_keys[match.key], match))
    return render_template(
        "dashboard.html",
        deadlines=deadlines,
        news=news,
        relevant_news=relevant_news,
        sources=sources.overview(session, runs=1),
        reviews=curation.due_for_review(session, today),
        today=today,
    )
