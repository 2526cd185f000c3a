"""The vault's tables: credential types, credentials (and sub-credentials), field values, the audit trail.

- ``credentials_types``: a type's field definitions are stored as the spec's JSON array.
- ``credentials_credentials``: credentials and sub-credentials alike. A sub-credential has
  ``parent_id`` (its parent credential, deleted with it) and ``field_path``, the dot-joined ids of the
  ``multi_credential`` fields from the type's top level down to the one holding it (``""`` for a
  top-level credential). ``type_id`` is always the top-level type's id.
- ``credentials_values``: one row per field that holds a value. Secure values are stored only as
  ``v1:<kid>:<nonce>:<ciphertext>`` tokens (``key_id`` repeats the kid for rotation); ``changed_at`` is
  when the value last changed, which re-encryption under a new key does not move.
- ``credentials_audit``: append-only (database triggers refuse UPDATE, DELETE and TRUNCATE); no
  foreign keys, so the trail outlives what it describes. It never holds a value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from optima_platform.core.models import Company
from optima_platform.db.base import UTCDateTime, make_base, new_id, utcnow

CredentialsBase = make_base("credentials")


class CredentialType(CredentialsBase):
    __tablename__ = "credentials_types"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    # Case folding can triple a name ('ﬃ' -> 'ffi'), so the key is three times as long as the name.
    name_key: Mapped[str] = mapped_column(String(600), unique=True)
    permission_scope: Mapped[str | None] = mapped_column(String(100), nullable=True)
    icon: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Credential(CredentialsBase):
    __tablename__ = "credentials_credentials"
    __table_args__ = (
        Index("ix_credentials_credentials_type_path", "type_id", "field_path"),
        Index("ix_credentials_credentials_company_name", "company_id", "name"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    type_id: Mapped[str] = mapped_column(String(32), ForeignKey(CredentialType.id, ondelete="CASCADE"))
    company_id: Mapped[str] = mapped_column(String(32), ForeignKey(Company.id, ondelete="RESTRICT"))
    parent_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("credentials_credentials.id", ondelete="CASCADE"), nullable=True, index=True
    )
    field_path: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(255))
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def is_sub_credential(self) -> bool:
        return self.parent_id is not None


class CredentialValue(CredentialsBase):
    __tablename__ = "credentials_values"
    __table_args__ = (UniqueConstraint("credential_id", "field_id", name="uq_credentials_values_credential_field"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    credential_id: Mapped[str] = mapped_column(String(32), ForeignKey(Credential.id, ondelete="CASCADE"))
    field_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    secure: Mapped[bool] = mapped_column(Boolean)
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"CredentialValue(id={self.id!r}, credential_id={self.credential_id!r}, field_id={self.field_id!r})"


class AuditEntry(CredentialsBase):
    __tablename__ = "credentials_audit"
    __table_args__ = (Index("ix_credentials_audit_user_action", "user_id", "action"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    api_key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    client_address: Mapped[str | None] = mapped_column(String(100), nullable=True)
    credential_id: Mapped[str] = mapped_column(String(32), index=True)
    root_id: Mapped[str] = mapped_column(String(32), index=True)
    credential_name: Mapped[str] = mapped_column(String(255))
    type_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    company_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    field_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
