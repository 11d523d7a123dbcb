"""The reads both stores share, written once over :class:`~ladder_cli.stores.dialect.DialectBase`:
the ladder's rules, players and names, the match log and the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ladder_cli.domain.model import AppliedMatch, Entry, now_utc
from ladder_cli.domain.rules import STANDARD, Rules
from ladder_cli.stores import sql
from ladder_cli.stores.dialect import DialectBase
from ladder_cli.stores.rows import rules_from_row


class StoreReads(DialectBase):
    """The ladder's rules and the reads both stores share, written once."""

    # -- rules -------------------------------------------------------------------------

    #: The stored rules, once read: a ladder's rules never change after they are set.
    _stored_rules: Rules | None = None

    def rules_in(self, cur: Any) -> Rules:
        """The ladder's rules, read with ``cur`` (standard while none are stored)."""
        if self._stored_rules is not None:
            return self._stored_rules
        cur.execute(sql.SELECT_RULES)
        row = cur.fetchone()
        if row is None:
            return STANDARD
        self._stored_rules = rules_from_row(row)
        return self._stored_rules

    def stored_rules(self) -> Rules | None:
        """The rules stored with the ladder; None while it has none (it rates by the
        standard rules then)."""
        with self.read_cursor() as cur:
            cur.execute(sql.SELECT_RULES)
            row = cur.fetchone()
        if row is None:
            return None
        self._stored_rules = rules_from_row(row)
        return self._stored_rules

    def rules(self) -> Rules:
        """The ladder's rules: the stored ones, else the standard rules."""
        if self._stored_rules is not None:
            return self._stored_rules
        return self.stored_rules() or STANDARD

    def set_rules(self, rules: Rules) -> Rules:
        """Store ``rules`` unless the ladder has rules already; the rules it then has."""
        with self.write_transaction() as cur:
            r = rules
            cur.execute(
                self.q(sql.INSERT_RULES),
                (r.preset, r.k, r.scale, r.rounding, r.start_mmr, r.letters, r.activity_days),
            )
            cur.execute(sql.SELECT_RULES)
            row = cur.fetchone()
        self._stored_rules = rules_from_row(row)
        return self._stored_rules

    def all_matches(self) -> list[AppliedMatch]:
        """The whole match log in the order it was applied (match_id)."""
        with self.read_cursor() as cur:
            cur.execute(sql.ALL_MATCHES)
            return self._matches(cur)

    # -- reads -------------------------------------------------------------------------

    def entries_of(self, uids: Sequence[int]) -> list[Entry]:
        with self.read_cursor() as cur:
            return list(self._entries_of(cur, sorted(set(uids))))

    def players_named(self, name: str) -> list[tuple[int, str]]:
        """Players whose name equals ``name`` ignoring case: ``(discord_uid, name)``."""
        with self.read_cursor() as cur:
            cur.execute(self.q(sql.render(sql.PLAYERS_NAMED, **self.words)), (name,))
            return [(int(uid), str(found)) for uid, found in cur.fetchall()]

    def player_names(self) -> list[tuple[int, str]]:
        """Every player's ``(discord_uid, name)``: the candidates for an unknown name."""
        with self.read_cursor() as cur:
            cur.execute(sql.PLAYER_NAMES)
            return [(int(uid), str(name)) for uid, name in cur.fetchall()]

    def player_exists(self, uid: int) -> bool:
        with self.read_cursor() as cur:
            cur.execute(self.q(sql.PLAYER_EXISTS), (uid,))
            return cur.fetchone() is not None

    def history(
        self, uid: int | None = None, limit: int | None = None, *, include_voided: bool = False
    ) -> list[AppliedMatch]:
        """The match log, newest first; voided matches only with ``include_voided``."""
        where, params = ("" if include_voided else "state <> 'voided'"), list[object]()
        if uid is not None:
            where += "" if include_voided else " AND "
            where, params = where + "(p1_uid = %s OR p2_uid = %s)", [uid, uid]
        where = f"WHERE {where}" if where else ""
        params.append(self.no_limit() if limit is None else limit)
        with self.read_cursor() as cur:
            cur.execute(self.q(sql.HISTORY.format(where=where)), params)
            return self._matches(cur)

    def applied_among(self, queue_id: str, job_ids: Sequence[int]) -> set[int]:
        """Which of these jobs (of the queue ``queue_id``) the ledger records as applied."""
        if not job_ids:
            return set()
        predicate, ids = self.uids_filter(job_ids)
        with self.read_cursor() as cur:
            cur.execute(self.q(sql.APPLIED_AMONG.format(ids=predicate)), (queue_id, ids))
            return {int(row[0]) for row in cur.fetchall()}

    def logged_matches(self, queue_id: str, job_ids: Sequence[int]) -> list[AppliedMatch]:
        """The logged matches of these jobs, for a writer whose jobs another process
        flushed first: it still reports the real before → after."""
        if not job_ids:
            return []
        predicate, ids = self.uids_filter(job_ids)
        with self.read_cursor() as cur:
            cur.execute(self.q(sql.MATCHES_OF_JOBS.format(ids=predicate)), (queue_id, ids))
            return self._matches(cur)

    def _matches(self, cur: Any) -> list[AppliedMatch]:
        """The match log rows a query returned, read by column name."""
        names = [column[0] for column in cur.description]
        matches = []
        for row in cur.fetchall():
            r = dict(zip(names, row, strict=True))
            job_id = r.get("job_id")
            matches.append(
                AppliedMatch(
                    match_id=int(r["match_id"]),
                    played_at=self.parse_ts(r["played_at"]) or now_utc(),
                    p1_uid=int(r["p1_uid"]),
                    p1_race=r["p1_race"],
                    p1_mmr_before=int(r["p1_mmr_before"]),
                    p1_mmr_after=int(r["p1_mmr_after"]),
                    p2_uid=int(r["p2_uid"]),
                    p2_race=r["p2_race"],
                    p2_mmr_before=int(r["p2_mmr_before"]),
                    p2_mmr_after=int(r["p2_mmr_after"]),
                    result=int(r["result"]),
                    job_id=None if job_id is None else int(job_id),
                    state=str(r.get("state") or "recorded"),
                )
            )
        return matches

    def counts(self) -> tuple[int, int]:
        """(entries, sum of games_played): the cheap invariants the tests check."""
        with self.read_cursor() as cur:
            cur.execute(sql.COUNTS)
            entries, games = cur.fetchone()
        return int(entries), int(games)
