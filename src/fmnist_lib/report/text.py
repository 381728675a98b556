"""Prose helpers for the pages: lists in words, and the titles and captions of the statistics page's galleries."""

from __future__ import annotations

import pandas as pd


def join_names(names: list[str], empty: str = "none") -> str:
    """'A', 'A and B', 'A, B and C' for prose; `empty` when there are none."""
    names = list(names)
    if not names:
        return empty
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def persistent_titles(rows: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Gallery titles ('Shirt → T-shirt/top') and captions ('wrong 3/3, 97% conf.') of persistence rows."""
    titles = [f"{row.label_name} →\n{row.wrong_class_name}" for row in rows.itertuples()]
    captions = [f"wrong {row.times_wrong}/{row.runs}\n{row.confidence_wrong:.0%} conf." for row in rows.itertuples()]
    return titles, captions


def suspect_titles(rows: pd.DataFrame, runs: int | None = None) -> tuple[list[str], list[str]]:
    """Gallery titles ('given Shirt', 'model: T-shirt/top') and captions ('97% conf.', with 'wrong 3/3' when the
    rows carry persistence and `runs` says over how many runs) of `label_audit.suspect_labels` rows."""
    titles = [f"given {row.given_name}\nmodel: {row.predicted_name}" for row in rows.itertuples()]
    persistence = runs is not None and "times_wrong" in rows
    captions = [f"{row.confidence:.0%} conf." + (f"\nwrong {row.times_wrong}/{runs}" if persistence else "")
                for row in rows.itertuples()]
    return titles, captions


def showcase_captions(found: pd.DataFrame) -> list[str]:
    """Captions ('#123: wrong 3/3', '97% conf., 0.12 nats') of `persistence.locate_showcase_failures` rows found."""
    return [f"#{i}: wrong {w}/{r}\n{c:.0%} conf., {e:.2f} nats" for i, w, r, c, e in
            zip(found["test_index"], found["times_wrong"], found["runs"], found["confidence_wrong"],
                found["entropy_wrong"])]

