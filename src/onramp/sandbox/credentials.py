"""Credentials on an application (secrets, certificates) and the date-time helpers they use."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


class DirectoryClock:
    """The directory's "now": the wall clock moved by the offset a test sets with
    ``PUT /_sandbox/clock``, so credentials' dates follow the product's pinned clock. Tokens,
    codes and replication keep the wall clock: clients check them against no other. The request
    log's times follow the directory's clock."""

    offset = timedelta(0)

    @classmethod
    def set(cls, moment: datetime | None) -> None:
        cls.offset = timedelta(0) if moment is None else moment - datetime.now(UTC)


def utcnow() -> datetime:
    """Now, whole seconds (Microsoft's defaults carry no meaningful fraction)."""
    return (datetime.now(UTC) + DirectoryClock.offset).replace(microsecond=0)


def iso_z(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as Graph writes date-times."""
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601; a value without zone is UTC. Raises ValueError."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def opt_iso(moment: datetime | None) -> str | None:
    return iso_z(moment) if moment else None


def opt_parse(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


def visible(visible_at: datetime | None) -> bool:
    """False while a Graph-created object has not reached the token endpoint's replicas."""
    return visible_at is None or datetime.now(UTC) >= visible_at


@dataclass
class Secret:
    key_id: str
    display_name: str | None
    secret_text: str
    start: datetime
    end: datetime
    visible_at: datetime | None = None

    @property
    def hint(self) -> str:
        return self.secret_text[:3]

    def public(self) -> dict:
        """Admin-API view; the value itself is only ever shown when created."""
        return {
            "key_id": self.key_id,
            "display_name": self.display_name,
            "hint": self.hint,
            "start_date_time": iso_z(self.start),
            "end_date_time": iso_z(self.end),
        }

    def dump(self) -> dict:
        return {
            **self.public(),
            "secret_text": self.secret_text,
            "visible": opt_iso(self.visible_at),
        }

    @classmethod
    def load(cls, data: dict) -> Secret:
        return cls(
            data["key_id"],
            data["display_name"],
            data["secret_text"],
            parse_iso(data["start_date_time"]),
            parse_iso(data["end_date_time"]),
            opt_parse(data.get("visible")),
        )


@dataclass
class KeyCredential:
    """A certificate's public part, as `keyCredentials` holds it (`key` is the base64 DER)."""

    key_id: str
    display_name: str | None
    key: str
    thumbprint: str  # base64 of the SHA-1, as Graph's customKeyIdentifier
    start: datetime
    end: datetime
    visible_at: datetime | None = None

    @property
    def thumbprint_hex(self) -> str:
        return base64.b64decode(self.thumbprint).hex().upper()

    def dump(self) -> dict:
        return {
            "key_id": self.key_id,
            "display_name": self.display_name,
            "key": self.key,
            "thumbprint": self.thumbprint,
            "start": iso_z(self.start),
            "end": iso_z(self.end),
            "visible": opt_iso(self.visible_at),
        }

    @classmethod
    def load(cls, data: dict) -> KeyCredential:
        return cls(
            data["key_id"],
            data["display_name"],
            data["key"],
            data["thumbprint"],
            parse_iso(data["start"]),
            parse_iso(data["end"]),
            opt_parse(data.get("visible")),
        )
