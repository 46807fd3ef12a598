"""Pages of the sandbox for people trying Onramp: the demo mailbox (404 outside the demo)."""

from django.urls import path

from onramp.sandbox import mailbox

app_name = "sandbox"
urlpatterns = [
    path("mailbox", mailbox.mailbox_list, name="mailbox"),
    path("mailbox/<str:message_id>", mailbox.mailbox_message, name="mailbox-message"),
]
