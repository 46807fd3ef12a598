"""msgraph-sdk, unchanged, driving the sandbox's Direct Routing provisioning endpoints the way the
product's steps call them: the shapes must parse into Microsoft's own models, and the errors
must surface as Microsoft's `ODataError` with the directory's code and message."""

from __future__ import annotations

import uuid

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_http.middleware.options.headers_inspection_handler_option import (
    HeadersInspectionHandlerOption,
)
from msgraph.generated.admin.teams.telephone_number_management.number_assignments.microsoft_graph_teams_administration_assign_number.assign_number_post_request_body import (  # noqa: E501
    AssignNumberPostRequestBody,
)
from msgraph.generated.models.assigned_license import AssignedLicense
from msgraph.generated.models.domain import Domain
from msgraph.generated.models.domain_dns_txt_record import DomainDnsTxtRecord
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.password_profile import PasswordProfile
from msgraph.generated.models.teams_administration.assignment_category import AssignmentCategory
from msgraph.generated.models.teams_administration.number_type import NumberType
from msgraph.generated.models.user import User
from msgraph.generated.users.item.assign_license.assign_license_post_request_body import (
    AssignLicensePostRequestBody,
)

from onramp.sandbox.admin import SandboxAdmin

from .flows import run_async
from .provisioning import E5, PASSWORD, PROVISIONER
from .test_official_clients import _graph_client, _secret_credential

DOMAIN = "contoso.sbc.provider.example"


@pytest.fixture
def client(sandbox_server, admin: SandboxAdmin):
    tenant = admin.create_tenant("Contoso")
    admin.set_skus(
        tenant["tenant_id"],
        [
            {
                "sku_part_number": "ENTERPRISEPREMIUM",
                "prepaid_units": 2,
                "service_plans": ["TEAMS1", "MCOEV"],
            }
        ],
    )
    permissions = [*PROVISIONER, "TeamsTelephoneNumber.ReadWrite.All"]
    app = admin.create_application(tenant["tenant_id"], "provisioner", permissions=permissions)
    secret = admin.add_secret(tenant["tenant_id"], app["app_id"])["secret_text"]
    credential = _secret_credential(
        *sandbox_server,
        {"tenant_id": tenant["tenant_id"], "app_id": app["app_id"], "secret": secret},
    )
    return _graph_client(sandbox_server, credential)


def _user(upn: str, location: str | None) -> User:
    return User(
        account_enabled=True,
        display_name="Teams activation",
        mail_nickname="activation",
        user_principal_name=upn,
        usage_location=location,
        password_profile=PasswordProfile(
            password=PASSWORD, force_change_password_next_sign_in=False
        ),
    )


def test_provisioning_with_msgraph(client, admin) -> None:
    async def scenario() -> dict:
        made = await client.domains.post(Domain(id=DOMAIN))
        records = await client.domains.by_domain_id(DOMAIN).verification_dns_records.get()
        failed = None
        try:
            await client.domains.by_domain_id(DOMAIN).verify.post()
        except ODataError as error:
            failed = error
        skus = await client.subscribed_skus.get()
        initial = next(d.id for d in (await client.domains.get()).value if d.is_initial)
        user = await client.users.post(_user(f"activation@{initial}", "GB"))
        licensed = await client.users.by_user_id(user.id).assign_license.post(
            AssignLicensePostRequestBody(
                add_licenses=[AssignedLicense(sku_id=uuid.UUID(E5), disabled_plans=[])],
                remove_licenses=[],
            )
        )
        teams = await client.admin.teams.user_configurations.by_teams_user_configuration_id(
            user.id
        ).get()
        nowhere = await client.users.post(_user(f"nowhere@{initial}", None))
        no_location = None
        try:
            await client.users.by_user_id(nowhere.id).assign_license.post(
                AssignLicensePostRequestBody(
                    add_licenses=[AssignedLicense(sku_id=uuid.UUID(E5))], remove_licenses=[]
                )
            )
        except ODataError as error:
            no_location = error
        inspect = HeadersInspectionHandlerOption(inspect_request_headers=False)
        numbers = client.admin.teams.telephone_number_management
        await numbers.number_assignments.microsoft_graph_teams_administration_assign_number.post(
            AssignNumberPostRequestBody(
                telephone_number="+12065550100",
                assignment_target_id=user.id,
                number_type=NumberType.DirectRouting,
                assignment_category=AssignmentCategory.Primary,
            ),
            RequestConfiguration(options=[inspect]),
        )
        location = next(iter(inspect.response_headers.get("location")))
        operation_id = location.rsplit("('", 1)[1].removesuffix("')")
        operation = await numbers.operations.by_telephone_number_long_running_operation_id(
            operation_id
        ).get()
        assignments = await numbers.number_assignments.get()
        await client.users.by_user_id(user.id).delete()
        after_delete = await numbers.number_assignments.get()
        deleted = await client.directory.deleted_items.by_directory_object_id(user.id).get()
        await client.directory.deleted_items.by_directory_object_id(user.id).delete()
        await client.domains.by_domain_id(DOMAIN).delete()
        return locals()

    got = run_async(scenario())
    assert (got["made"].id, got["made"].is_verified, got["made"].is_root) == (DOMAIN, False, True)
    txt = got["records"].value[0]
    assert isinstance(txt, DomainDnsTxtRecord)
    assert (txt.record_type, txt.label, txt.ttl) == ("Txt", DOMAIN, 3600)
    assert txt.text.startswith("MS=ms") and len(txt.text) == 13
    assert got["failed"].response_status_code == 400
    assert got["failed"].error.code == "Request_BadRequest"
    assert got["failed"].error.message.startswith("Domain verification failed")
    sku = got["skus"].value[0]
    assert (str(sku.sku_id), sku.sku_part_number, sku.prepaid_units.enabled) == (
        E5,
        "ENTERPRISEPREMIUM",
        2,
    )
    assert [p.service_plan_name for p in sku.service_plans] == ["TEAMS1", "MCOEV"]
    assert got["licensed"].id == got["user"].id
    assert got["teams"].id == got["user"].id and got["teams"].is_enterprise_voice_enabled
    assert got["no_location"].response_status_code == 400
    assert (got["no_location"].error.code, got["no_location"].error.message) == (
        "Request_BadRequest",
        "License assignment cannot be done for user with invalid usage location.",
    )
    assert (got["operation"].id, got["operation"].status.value) == (
        got["operation_id"],
        "succeeded",
    )
    assert got["operation"].numbers[0].status.value == "succeeded"
    (number,) = got["assignments"].value
    assert (number.telephone_number, number.assignment_target_id) == (
        "+12065550100",
        got["user"].id,
    )
    assert number.number_type == NumberType.DirectRouting
    assert got["after_delete"].value == []  # a deleted user's numbers are released
    assert isinstance(got["deleted"], User) and got["deleted"].deleted_date_time is not None
