"""The Providers, Channels and Customers pages."""

from django.urls import path

from onramp.tenancy import views

app_name = "tenancy"
urlpatterns = [
    path("customers/", views.customer_list, name="customers"),
    path("customers/add/", views.customer_add, name="customer-add"),
    path("customers/<uuid:customer_id>/edit/", views.customer_edit, name="customer-edit"),
    path("channels/", views.channel_list, name="channels"),
    path("channels/add/", views.channel_add, name="channel-add"),
    path("channels/<uuid:channel_id>/edit/", views.channel_edit, name="channel-edit"),
    path("providers/", views.provider_list, name="providers"),
    path("providers/add/", views.provider_add, name="provider-add"),
    path("providers/<uuid:provider_id>/edit/", views.provider_edit, name="provider-edit"),
]
