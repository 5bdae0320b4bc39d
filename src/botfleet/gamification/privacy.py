"""The gamification tables' answers to data-deletion requests.

Registered at import with :mod:`botfleet.services.privacy`, so ``botfleet data delete-user``
and bots remove them with the rest. An administrator's audit entries about a member go with the
member; entries the member made as an administrator stay, with their id removed. Data outside
the database (unsaved awards, Redis rankings) is dropped by ``Gamification.forget_user``.
"""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.database.models.gamification import MemberXP, RankingVersion, XPAuditEntry
from botfleet.services.privacy import registry


async def delete_member_xp(session: AsyncSession, user_id: int) -> int:
    statement = (
        delete(MemberXP)
        .where(MemberXP.user_id == user_id)
        .returning(MemberXP.guild_id)
        .execution_options(synchronize_session=False)
    )
    return len((await session.execute(statement)).all())


async def delete_xp_audit_entries(session: AsyncSession, user_id: int) -> int:
    about_member = (
        delete(XPAuditEntry)
        .where(XPAuditEntry.user_id == user_id)
        .returning(XPAuditEntry.id)
        .execution_options(synchronize_session=False)
    )
    by_member = (
        update(XPAuditEntry)
        .where(XPAuditEntry.actor_id == user_id)
        .values(actor_id=None)
        .returning(XPAuditEntry.id)
        .execution_options(synchronize_session=False)
    )
    deleted = len((await session.execute(about_member)).all())
    return deleted + len((await session.execute(by_member)).all())


async def delete_ranking_version(session: AsyncSession, user_id: int) -> int:
    statement = (
        delete(RankingVersion)
        .where(RankingVersion.user_id == user_id)
        .returning(RankingVersion.user_id)
        .execution_options(synchronize_session=False)
    )
    return len((await session.execute(statement)).all())


registry.register("member_xp", delete_member_xp)
registry.register("xp_ranking_versions", delete_ranking_version)
registry.register("xp_audit_log", delete_xp_audit_entries)
