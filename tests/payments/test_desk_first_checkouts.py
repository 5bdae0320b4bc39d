"""Two checkouts arriving together at a desk that has made no gateway yet share one gateway.

The first checkout imports the provider's module in a thread; a second one arriving during that
import must neither read the half-initialised module nor make a gateway of its own (whose HTTP
session nobody would close). Run in a fresh interpreter, where neither module is imported yet,
against the Stripe and PayPal stand-ins served by this test; a profile hook counts the gateways
made, and the loop's exception handler catches any session left unclosed.
"""

from __future__ import annotations

import asyncio
import json
import sys

from botfleet.sandbox.paypal_server import LocalPayPalServer
from botfleet.sandbox.stripe_server import LocalStripeServer

CHECKOUTS = """
import asyncio, collections, gc, json, sys
from pydantic import SecretStr
from botfleet.config.schema import PaymentsSection, Settings, WebSection
from botfleet.database import Database
from botfleet.payments.desk import PremiumDesk, Provider
from botfleet.payments.plans import Purchase
from botfleet.services.premium import Plan, PremiumService, Subject

GATEWAYS = ("StripeGateway.__init__", "PayPalGateway.__init__")
MODULES = ("botfleet.payments.stripe_client", "botfleet.payments.paypal")
made = collections.Counter()
troubles = []


def count(frame, event, arg):
    if event == "call" and frame.f_code.co_qualname in GATEWAYS:
        made[frame.f_code.co_qualname.partition(".")[0]] += 1


assert not set(MODULES) & set(sys.modules), "already imported"
given = json.loads(sys.argv[1])
settings = Settings(
    web=WebSection(public_url="https://fleet.example"),
    payments=PaymentsSection(
        stripe_api_key=SecretStr(given["stripe_key"]),
        stripe_api_base=given["stripe_base"],
        stripe_prices={"user_monthly": "price_monthly"},
        paypal_client_id=given["paypal_id"],
        paypal_client_secret=SecretStr(given["paypal_secret"]),
        paypal_api_base=given["paypal_base"],
        paypal_plans={"user_monthly": "P-MONTHLY"},
    ),
)


async def main():
    asyncio.get_running_loop().set_exception_handler(
        lambda loop, context: troubles.append(context["message"])
    )
    database = Database("sqlite+aiosqlite:///:memory:")
    await database.create_schema()  # a Stripe checkout looks up the member's customer
    desk = PremiumDesk(database, PremiumService(database), settings)
    sys.setprofile(count)
    links = await asyncio.gather(
        *(
            desk.payment_link(Purchase(buyer, Subject.user(buyer), Plan.MONTHLY), provider,
                              attempt=f"first-{buyer}")
            for provider in (Provider.STRIPE, Provider.PAYPAL)
            for buyer in (41, 42)
        )
    )
    sys.setprofile(None)
    await desk.close()
    await database.dispose()
    return links


links = asyncio.run(main())
gc.collect()
print(json.dumps({"made": made, "links": links, "troubles": troubles}))
"""


async def test_two_first_checkouts_at_once_make_one_gateway_and_both_get_their_link() -> None:
    async with LocalStripeServer() as stripe, LocalPayPalServer() as paypal:
        given = {
            "stripe_key": stripe.api_key,
            "stripe_base": stripe.base_url,
            "paypal_id": paypal.client_id,
            "paypal_secret": paypal.client_secret,
            "paypal_base": paypal.base_url,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHECKOUTS,
            json.dumps(given),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    seen = json.loads(out.decode().splitlines()[-1])

    assert seen["made"] == {"StripeGateway": 1, "PayPalGateway": 1}, seen
    answers = [tuple(answer) for answer in seen["links"]]
    bases = {"stripe": given["stripe_base"], "paypal": given["paypal_base"]}
    assert [provider for provider, _ in answers] == ["stripe", "stripe", "paypal", "paypal"]
    assert all(link.startswith(bases[provider]) for provider, link in answers), answers
    assert len({link for _, link in answers}) == 4, answers
    assert seen["troubles"] == [], seen["troubles"]
