"""System → service providers → channels (resellers) → customers."""

from django.db import models

from onramp.core.models import UUIDModel


class Provider(UUIDModel):
    name = models.CharField(max_length=200, unique=True)
    sbc_domain = models.CharField(max_length=253, blank=True)
    # Every SBC domain (carrier trunk), the first being ``sbc_domain``: written together.
    sbc_domains = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Channel(UUIDModel):
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="channels")
    name = models.CharField(max_length=200)
    max_customers = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="channel_name_per_provider")
        ]

    def __str__(self) -> str:
        return self.name


class Customer(UUIDModel):
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="customers")
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, null=True, blank=True, related_name="customers"
    )
    name = models.CharField(max_length=200)
    azure_tenant_id = models.CharField(max_length=36, blank=True)
    contact_email = models.EmailField(blank=True)
    notify_admin_on_expiry = models.BooleanField(default=False)
    country = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["provider", "-created_at", "-id"])]
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="customer_name_per_provider")
        ]

    def __str__(self) -> str:
        return self.name
