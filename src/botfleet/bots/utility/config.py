"""The Utility Bot's own options: the ``options:`` section of ``config/bots/utility.yaml``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class UtilityOptions(BaseModel):
    """Limits of the everyday tools; every option has a default, so the section may be left out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_reminders_per_member: int = Field(
        default=25, ge=1, le=500, description="Pending reminders one member may keep."
    )
    max_reminder_length: int = Field(
        default=1000,
        ge=10,
        le=1500,
        description="Characters of a reminder's text (the delivery adds a header and a link).",
    )
    max_tags_per_member: int = Field(
        default=50, ge=1, le=1000, description="Tags one member may own in one server."
    )
    max_poll_question_length: int = Field(
        default=300, ge=10, le=1000, description="Characters of a poll's question."
    )
    max_poll_answer_length: int = Field(
        default=80,
        ge=5,
        le=80,
        description="Characters of one poll answer (a button's label holds at most 80).",
    )
    default_poll_hours: int = Field(
        default=24, ge=1, le=768, description="How long a poll runs when given no end time."
    )
    min_poll_seconds: int = Field(
        default=60, ge=1, le=86400, description="The shortest a poll may run, in seconds."
    )
    max_poll_days: int = Field(
        default=32, ge=1, le=365, description="The longest a poll may run, in days."
    )
    max_open_polls_per_guild: int = Field(
        default=25, ge=1, le=500, description="Button polls open at once in one server."
    )
    poll_refresh_seconds: float = Field(
        default=2.0,
        ge=0.0,
        le=60.0,
        description="Votes within this many seconds share one redraw of the poll's counts.",
    )
    premium_outbox_seconds: float = Field(
        default=10.0,
        gt=0.0,
        le=3600.0,
        description="How often the premium DMs owed (confirmations, failed payments) are sent.",
    )
    max_role_menus_per_guild: int = Field(
        default=25, ge=1, le=500, description="Role menus one server may keep."
    )
    max_role_menu_options: int = Field(
        default=25,
        ge=1,
        le=25,
        description="Roles one menu may offer (Discord shows at most 25 in a menu or message).",
    )
