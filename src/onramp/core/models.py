"""Base model: every object has a random UUID id (ids are strings in the API; no counting)."""

import uuid

from django.db import models


class UUIDModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


class RateLimitBucket(models.Model):
    """A fixed-window counter shared by every process (e.g. wizard submissions per link)."""

    key = models.CharField(max_length=128)
    window_start = models.DateTimeField()
    # When the window ends (windows differ per key), so the purge knows what is over.
    expires_at = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="rate_limit_bucket_unique")
        ]
