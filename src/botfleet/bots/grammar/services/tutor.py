"""What the Grammar Bot asks the AI: explanations of a check's findings, and tone rewrites.

The offline findings go along with the text, so the model explains what the rules found and
adds only what they missed. The member's text is the user message and is bounded by the AI
service; the findings are quoted from that text, so they are bounded too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from botfleet.bots.grammar.services.checker import CheckResult
from botfleet.services.ai.service import AIService, ChatMessage

EXPLAIN_MAX_TOKENS: Final = 500
REWRITE_MAX_TOKENS: Final = 700
MAX_FINDINGS_SENT: Final = 25

EXPLAIN_INSTRUCTIONS: Final = (
    "You are a friendly English writing tutor on a Discord server. The member's text follows. "
    "A grammar checker found the issues listed below. Explain each one in plain words (one or "
    "two sentences), then name any real mistake the checker missed. Do not rewrite the whole "
    "text. Answer in at most 200 words, using short bullet points."
)
NO_FINDINGS: Final = "The checker found no issues."


class Tone(StrEnum):
    """The tones a member can ask their text to be rewritten in."""

    FORMAL = "formal"
    FRIENDLY = "friendly"
    CONCISE = "concise"

    @property
    def instruction(self) -> str:
        return _TONE_INSTRUCTIONS[self]

    @property
    def label(self) -> str:
        return self.value.capitalize()


_TONE_INSTRUCTIONS: Final[dict[Tone, str]] = {
    Tone.FORMAL: "formal and polite, as in a letter to a teacher or a company",
    Tone.FRIENDLY: "warm and friendly, as in a message to a friend",
    Tone.CONCISE: "as short and clear as possible, keeping every fact",
}


def describe_findings(result: CheckResult) -> str:
    """The offline findings as a numbered list for the model."""
    if not result.issues:
        return NO_FINDINGS
    lines = []
    for number, issue in enumerate(result.issues[:MAX_FINDINGS_SENT], start=1):
        span = result.text[issue.start : issue.end]
        fix = f" Suggestion: “{issue.suggestions[0]}”." if issue.suggestions else ""
        lines.append(f"{number}. “{span}” ({issue.category.label}): {issue.message}{fix}")
    if len(result.issues) > MAX_FINDINGS_SENT:
        lines.append(f"...and {len(result.issues) - MAX_FINDINGS_SENT} more.")
    return "\n".join(lines)


async def explain(ai: AIService, result: CheckResult, *, user_id: int, guild_id: int | None) -> str:
    """The model's explanation of a check's findings, and of what they missed."""
    instructions = f"{EXPLAIN_INSTRUCTIONS}\n\nThe checker's findings:\n{describe_findings(result)}"
    completion = await ai.chat(
        [ChatMessage("system", instructions), ChatMessage("user", result.text)],
        user_id=user_id,
        guild_id=guild_id,
        max_tokens=EXPLAIN_MAX_TOKENS,
    )
    return completion.text.strip()


async def rewrite(
    ai: AIService, text: str, tone: Tone, *, user_id: int, guild_id: int | None
) -> str:
    """The member's text rewritten in ``tone``, its mistakes corrected."""
    instructions = (
        "Rewrite the member's text so that it is correct English and sounds "
        f"{tone.instruction}. Keep its meaning and its language. Answer with the rewritten "
        "text only, without quotes or comments."
    )
    completion = await ai.chat(
        [ChatMessage("system", instructions), ChatMessage("user", text)],
        user_id=user_id,
        guild_id=guild_id,
        max_tokens=REWRITE_MAX_TOKENS,
    )
    return completion.text.strip()
