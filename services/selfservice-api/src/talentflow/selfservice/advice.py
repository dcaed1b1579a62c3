"""A small catalogue of concrete advice per competency, for requirements a person did not meet.

Competency names are the normalized keys ingest publishes (snake_case); an unknown competency
gets the generic entry. Later issues link these to the training catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AdviceEntry:
    title: str
    actions: tuple[str, ...]


# A gap at or above this many points asks for a structured plan, not just practice.
LARGE_GAP = 15.0

CATALOGUE: dict[str, AdviceEntry] = {
    "communication": AdviceEntry(
        "Make your answers clear and structured",
        (
            "Answer with the STAR pattern: situation, task, action, result, in under two minutes.",
            "Record yourself answering three common interview questions and cut filler words.",
            "Start each answer with a one-sentence summary, then give the details.",
        ),
    ),
    "problem_solving": AdviceEntry(
        "Show how you reason through a problem",
        (
            "Say your approach out loud: restate the problem, list options, pick one and why.",
            "Practise two case exercises a week and write down the trade-offs you considered.",
            "Close with how you checked that the solution worked (a number, a test, feedback).",
        ),
    ),
    "teamwork": AdviceEntry(
        "Give evidence of working well with others",
        (
            "Prepare two examples where you helped a colleague or resolved a disagreement.",
            "Name your own part in a team result instead of only saying 'we'.",
            "Mention how you kept others informed (stand-ups, hand-overs, written updates).",
        ),
    ),
    "leadership": AdviceEntry(
        "Show that you take the lead",
        (
            "Prepare an example where you set a direction and others followed it.",
            "Describe a decision you made with incomplete information and what you learned.",
            "Volunteer to lead a small project or meeting to build recent examples.",
        ),
    ),
    "customer_focus": AdviceEntry(
        "Put the customer at the centre of your examples",
        (
            "Prepare two or three concrete customer cases with the problem, your action and "
            "the outcome for the customer.",
            "Quantify the result for the customer (time saved, complaint resolved, renewal).",
            "Explain how you found out what the customer really needed.",
        ),
    ),
    "adaptability": AdviceEntry(
        "Show how you handle change",
        (
            "Prepare an example of a plan that changed late and how you adjusted.",
            "Describe something new you learned quickly and how you applied it.",
        ),
    ),
    "technical_skills": AdviceEntry(
        "Strengthen the technical skills the job asks for",
        (
            "Compare the job description with your skills and list the two largest gaps.",
            "Build a small project or complete an exercise that uses each missing skill.",
            "In the interview, walk through one piece of your own work in technical detail.",
        ),
    ),
    "initiative": AdviceEntry(
        "Give examples of acting without being asked",
        (
            "Prepare an example where you spotted a problem early and fixed it yourself.",
            "Describe an improvement you proposed and what it changed.",
        ),
    ),
}

GENERIC = AdviceEntry(
    "Build stronger evidence for this competency",
    (
        "Ask for feedback on this competency from a colleague or mentor.",
        "Prepare two concrete examples that show it, each with a measurable result.",
    ),
)

PLAN_ACTION = "The gap is large: set a four-week practice plan and review your progress each week."


def advice_for(competency: str, gap: float | None) -> AdviceEntry:
    """The catalogue entry for a competency, with a practice plan when the gap is large."""
    entry = CATALOGUE.get(competency.strip().lower(), GENERIC)
    if gap is None or gap >= LARGE_GAP:
        return AdviceEntry(entry.title, (*entry.actions, PLAN_ACTION))
    return entry
