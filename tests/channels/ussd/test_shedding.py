"""At capacity, USSD callers get a polite END in their dialect, never a JSON 503."""

from __future__ import annotations

import json

from eligibility_gw.shedding import SHEDDER
from tests.channels.ussd.support import UssdGateway


async def test_shed_hops_end_politely_in_both_dialects(gateway: UssdGateway) -> None:
    client = gateway.client
    client.app[SHEDDER].max_in_flight = 0  # every new request is over capacity
    at = await client.post(
        "/channels/ussd/africastalking",
        data={
            "sessionId": "s1",
            "serviceCode": "*1420#",
            "phoneNumber": "+989121110001",
            "networkCode": "43211",
            "text": "",
        },
    )
    assert at.status == 200
    assert await at.text() == "END The service is busy. Please try again shortly."
    hub = await client.post(
        "/channels/ussd/hubtel",
        data=json.dumps(
            {
                "Type": "Initiation",
                "Mobile": "989121110001",
                "SessionId": "h1",
                "ServiceCode": "*1420#",
                "Message": "*1420#",
                "Operator": "x",
                "Sequence": 1,
            }
        ),
        headers={"Content-Type": "application/json"},
    )
    assert hub.status == 200
    body = await hub.json()
    assert body["Type"] == "Release"
    assert body["Message"] == "The service is busy. Please try again shortly."
