"""The first payment link imports the provider's module in a thread, never on the event loop.

Stripe's SDK takes about 0.3 s to import and PayPal's module about 0.7 s: on the loop, every
member of the bot would wait that long. Run in a fresh interpreter (nothing imported yet), with
an audit hook noting which thread imports Stripe's SDK and what PayPal's module needs; the
providers do not answer, so the member gets the kind answer.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys

FIRST_PAYMENT = """
import asyncio, json, sys, threading
from pydantic import SecretStr
from botfleet.config.schema import PaymentsSection, Settings, WebSection
from botfleet.database import Database
from botfleet.errors import UserError
from botfleet.payments.desk import PremiumDesk, Provider
from botfleet.payments.plans import Purchase
from botfleet.services.premium import Plan, PremiumService, Subject

WATCHED = ("stripe", "cryptography.x509.verification")
LOOP = threading.get_ident()
imports = {"loop": [], "elsewhere": []}
answers = []


def hook(event, args):
    if event == "import" and args[0] in WATCHED:
        imports["loop" if threading.get_ident() == LOOP else "elsewhere"].append(args[0])


assert not set(WATCHED) & set(sys.modules), "already imported"
sys.addaudithook(hook)
dead = "http://127.0.0.1:" + sys.argv[1]
settings = Settings(
    web=WebSection(public_url="https://fleet.example"),
    payments=PaymentsSection(
        stripe_api_key=SecretStr("sk_test_local"),
        stripe_api_base=dead,
        stripe_prices={"user_monthly": "price_monthly"},
        paypal_client_id="paypal-client",
        paypal_client_secret=SecretStr("paypal-secret"),
        paypal_api_base=dead,
        paypal_plans={"user_monthly": "P-MONTHLY"},
    ),
)


async def main():
    database = Database("sqlite+aiosqlite:///:memory:")
    await database.create_schema()  # a Stripe checkout looks up the member's customer
    desk = PremiumDesk(database, PremiumService(database), settings)
    purchase = Purchase(42, Subject.user(42), Plan.MONTHLY)
    for provider in (Provider.PAYPAL, Provider.STRIPE):
        try:
            await desk.payment_link(purchase, provider, attempt="first")
        except UserError as exc:
            answers.append(str(exc))
    await desk.close()
    await database.dispose()


asyncio.run(main())
print(json.dumps({"imports": imports, "answers": answers}))
"""


def test_the_first_payment_imports_the_providers_off_the_event_loop() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    result = subprocess.run(
        [sys.executable, "-c", FIRST_PAYMENT, str(dead_port)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.splitlines()[-1])

    assert seen["imports"]["loop"] == []
    assert set(seen["imports"]["elsewhere"]) == {"stripe", "cryptography.x509.verification"}
    assert (
        seen["answers"]
        == ["Payments are not available right now; please try again in a few minutes."] * 2
    )
