"""What operators see of the sources: runs, counts and the warnings of each source's latest run."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from fundmatch.models import Program, ScrapeRun, Source
from fundmatch.scrapers import source_modules


def run_summary(run: ScrapeRun) -> dict:
    return {
        "id": run.id,
        "status": run.status,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "complete": run.complete,
        "fetched": run.fetched,
        "new": run.new,
        "changed": run.changed,
        "unchanged": run.unchanged,
        "withdrawn": run.withdrawn,
        "errors": run.errors,
        "message": run.message,
        "warnings": len(run.warnings),
    }


def overview(session: Session, runs: int = 3) -> list[dict]:
    """Every registered source (and any other that holds programs) with its newest runs first.

    Reads only: a source that never ran is described from its module's metadata.
    """
    counts = dict(session.execute(select(Program.source, func.count()).group_by(Program.source)).all())
    stored = {source.id: source for source in session.scalars(select(Source))}
    for source_id, module in source_modules().items():
        if source_id not in stored:
            info = module.SOURCE
            stored[source_id] = Source(id=source_id, title=info.title, publisher=info.publisher, url=info.url)
    result = []
    for source in sorted(stored.values(), key=lambda s: s.id):
        latest = list(
            session.scalars(
                select(ScrapeRun)
                .where(ScrapeRun.source_id == source.id)
                .order_by(ScrapeRun.id.desc())
                .limit(runs)
                .options(selectinload(ScrapeRun.warnings))
            )
        )
        result.append(
            {
                "id": source.id,
                "title": source.title,
                "publisher": source.publisher,
                "url": source.url,
                "programs": counts.get(source.id, 0),
                "runs": [run_summary(run) for run in latest],
                "open_warnings": [{"url": w.url, "message": w.message} for w in latest[0].warnings] if latest else [],
            }
        )
    return result
