"""What `talentflow-dev run` prints once the stack is up: where everything is, how to try it."""

from __future__ import annotations

import os
import sys

from talentflow.devstack.demo import Credentials
from talentflow.devstack.stack import Stack
from talentflow.devstack.webhooks import example_snippet


def _token_owner(creds: Credentials, role: str) -> str:
    """Whose token it is: the person's name and id."""
    if role in ("candidate", "second_candidate"):
        person = creds.candidates[0 if role == "candidate" else -1]
        return f"{person.name} ({person.locale}), candidate id {person.id}"
    user = next((u for u in creds.users if u.role == role), None)
    return f"{user.name}, user id {user.id}" if user else ""


def _rel(path: os.PathLike[str] | str) -> str:
    """`path` relative to the working directory when it is inside it (shorter to read)."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return absolute if relative.startswith("..") else relative


def render(stack: Stack, creds: Credentials) -> str:
    """The banner text for a started stack and its demo credentials."""
    lines = ["", "Talentflow is running. Ctrl-C stops it (twice: at once).", "", "Services"]
    for spec in sorted(stack.services, key=lambda s: s.port):
        url = stack.urls[spec.name]
        lines.append(f"  {spec.name:<16} {url:<24} docs {url}/docs")
    lines += [
        "",
        f"Database  {stack.database_url}",
        f"Broker    {stack.kafka_bootstrap}" + ("" if stack.kafka_idempotence else " (Tansu)"),
        f"SMTP      127.0.0.1:{stack.smtp_port} -> {_rel(stack.mail_dir)}/",
        "",
        f"Tenant    {creds.tenant.name}  {creds.tenant.id}  ({creds.tenant.jurisdiction})",
        f"Job       {creds.job.title}  {creds.job.id}",
    ]
    for vendor in creds.vendors:
        lines += [
            f"Vendor    {vendor.name}  {vendor.id}",
            f"  secret       {vendor.secret}",
            f"  webhook URL  {vendor.webhook_url}",
        ]
    lines += ["", "Bearer tokens (Authorization: Bearer <token>)"]
    for role, token in creds.tokens.items():
        lines += [f"  {role}: {_token_owner(creds, role)}", f"    {token}"]
    lines += [
        "",
        "Files",
        f"  credentials    {_rel(stack.credentials_path)}",
        f"  sample result  {_rel(stack.sample_path)}",
        f"  mail folder    {_rel(stack.mail_dir)}/",
        f"  logs           {_rel(stack.var_dir / 'log')}/",
        "",
        "Send the sample result (a new result_id each time):",
        f"  {_rel(os.path.join(os.path.dirname(sys.executable), 'talentflow-dev'))} send-sample"
        + (f" --var {_rel(stack.var_dir)}" if _rel(stack.var_dir) != "var" else ""),
        "or by hand, with the standardwebhooks package:",
        "",
        example_snippet(stack.var_dir, _rel(sys.executable)),
        "",
    ]
    return "\n".join(lines)
