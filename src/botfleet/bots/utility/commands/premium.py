"""/premium and /subscribe: a member's premium, and a link to pay for it; always ephemeral."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.core.answers import answer_in_time
from botfleet.payments.desk import (
    PremiumDesk,
    Provider,
    describe_membership,
)
from botfleet.payments.plans import Purchase
from botfleet.services.premium import Plan, Subject
from botfleet.utils.places import server_id_of

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

FOR_SERVER: Final = "server"


def link_view(*links: tuple[str, str]) -> discord.ui.View:
    """Link buttons, each (label, url)."""
    view = discord.ui.View()
    for label, url in links:
        view.add_item(discord.ui.Button(label=label, url=url, style=discord.ButtonStyle.link))
    return view


class PremiumCommands(commands.Cog, name="Premium"):
    """/premium shows premium; /subscribe makes a payment link for the member who asks."""

    def __init__(self, bot: FleetBot[Any], desk: PremiumDesk) -> None:
        self.bot = bot
        self.desk = desk

    async def cog_unload(self) -> None:
        await self.desk.close()

    @app_commands.command(name="premium", description="Your premium and your server's.")
    async def premium(self, interaction: discord.Interaction[Any]) -> None:
        status = await self.desk.status(interaction.user.id, interaction.guild_id)
        now = discord.utils.utcnow()
        lines = [describe_membership("You", status.member, now)]
        if interaction.guild is not None:
            lines.append(describe_membership(interaction.guild.name, status.server, now))
        links: list[tuple[str, str]] = []
        if status.manage:
            links.append(("Manage or cancel", status.manage))
        if status.logged_in:
            links.append(("Dashboard", status.link))
        else:
            links.append(("Log in with Discord", status.link))
            lines.append("Log in to the dashboard with Discord to see premium there.")
        lines.append("Get premium with `/subscribe`.")
        await interaction.response.send_message(
            "\n".join(lines), view=link_view(*links), ephemeral=True
        )

    @app_commands.command(name="subscribe", description="Get a link to pay for premium.")
    @app_commands.describe(
        plan="Billed every month or every year.",
        provider="Pay with Stripe (cards) or PayPal; the first one set up if left out.",
        scope="Premium for you everywhere, or for everyone in this server.",
    )
    @app_commands.choices(
        plan=[
            app_commands.Choice(name="monthly", value=Plan.MONTHLY.value),
            app_commands.Choice(name="yearly", value=Plan.YEARLY.value),
        ],
        provider=[
            app_commands.Choice(name="Stripe", value=Provider.STRIPE.value),
            app_commands.Choice(name="PayPal", value=Provider.PAYPAL.value),
        ],
        scope=[
            app_commands.Choice(name="me", value="me"),
            app_commands.Choice(name="this server", value=FOR_SERVER),
        ],
    )
    async def subscribe(
        self,
        interaction: discord.Interaction[Any],
        plan: str = Plan.MONTHLY.value,
        provider: str | None = None,
        scope: str = "me",
    ) -> None:
        buyer = interaction.user.id
        if scope == FOR_SERVER:
            subject = Subject.guild(
                server_id_of(interaction, "Server premium is bought in that server.")
            )
        else:
            subject = Subject.user(buyer)
        purchase = Purchase(buyer, subject, Plan(plan))
        async with answer_in_time(interaction, "payment link", ephemeral=True) as answer:
            chosen, url = await self.desk.payment_link(
                purchase,
                Provider(provider) if provider else None,
                attempt=str(interaction.id),
            )
            whom = "this server" if scope == FOR_SERVER else "you"
            await answer.send(
                f"Here is your {plan} premium for {whom}, through {chosen.label}. "
                "The link is yours alone: premium starts as soon as the payment is through, "
                "and I'll confirm it by DM.",
                view=link_view(("Pay", url)),
            )
