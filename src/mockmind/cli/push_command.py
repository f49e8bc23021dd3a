"""``mockmind push``: add, change or delete a tenant of a stack serving many APIs, without a
redeploy.

The config and the files it names (``tenants/bundle.py``) are read and checked here first, as
``validate-config`` checks a file and as the stack will check them again; a refusal ends the
command before anything is sent. They then go to a running stack's operator route
(``--url``: ``PUT /__mockmind/tenants/{name}``, the stack's admin token from
``MOCKMIND_ADMIN_TOKEN``), or straight into a catalog with no server (``--to``: a folder, or
``s3://bucket/prefix/``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from mockmind.cli import output
from mockmind.cli.admin_commands import _client, admin_command
from mockmind.cli.exits import exit_on_error
from mockmind.cli.progress import TransferBar
from mockmind.domain.errors import AdminNotFound
from mockmind.tenants.names import is_tenant_name

if TYPE_CHECKING:
    from mockmind.tenants.catalog import TenantCatalog


def _tenant_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not is_tenant_name(value):
        raise click.BadParameter(
            f"{value!r} is not a tenant's name: 1 to 63 lowercase letters, digits and '-', "
            "not starting or ending with '-'",
            ctx,
            param,
        )
    return value


@admin_command("push")
@click.option("--tenant", "name", required=True, callback=_tenant_name, help="The tenant's name.")
@click.argument(
    "config", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=False
)
@click.option(
    "--to",
    "target",
    metavar="CATALOG",
    help="Write into this catalog instead of a server's (--url): a folder, or s3://bucket/prefix/.",
)
@click.option("--delete", is_flag=True, help="Delete the tenant instead (no CONFIG).")
def push(
    url: str, as_json: bool, name: str, config: Path | None, target: str | None, delete: bool
) -> None:
    """Check a tenant's CONFIG and the documents it names (relative to it), then store them
    on a stack serving tenants: a new tenant, or a new version of one. Warm instances see it
    within the stack's tenants.refresh_seconds.

    With --delete, remove the tenant instead.
    """
    ctx = click.get_current_context()
    url_given = ctx.get_parameter_source("url") is click.core.ParameterSource.COMMANDLINE
    if target is not None and url_given:
        raise click.UsageError("give --url or --to, not both")
    if delete:
        if config is not None:
            raise click.UsageError("--delete takes no CONFIG")
        _delete(url, as_json, name, target)
        return
    if config is None:
        raise click.UsageError("missing CONFIG (the tenant's mockmind.yaml)")
    # The config loader, the app and the catalog load only for this command.
    from mockmind.app.environment import read_environment  # noqa: PLC0415
    from mockmind.app.logging import configure_logging  # noqa: PLC0415
    from mockmind.app.tenant_front import check_build  # noqa: PLC0415
    from mockmind.tenants.bundle import tenant_files  # noqa: PLC0415
    from mockmind.tenants.catalog import check_tenant_files  # noqa: PLC0415

    configure_logging("error")
    env = read_environment()
    with exit_on_error():
        files = tenant_files(config, env.variables)
        check_tenant_files(name, files, env.variables, check_build)
        if target is None:
            with (
                _client(url) as client,
                TransferBar(output.console(stderr=True), f"pushing {name}") as bar,
            ):
                stored = client.push_tenant(name, files, bar)
            answer = stored.as_json()
            where = url
        else:
            catalog = _catalog(target)
            created = catalog.version(name) is None
            version = catalog.store(name, files)
            answer = {
                "tenant": name,
                "version": version,
                "created": created,
                "files": sorted(files),
            }
            where = catalog.where(name)
    if as_json:
        output.print_json(answer)
        return
    done = "created" if answer["created"] else "replaced"
    count = len(answer["files"])
    click.echo(
        f"tenant {name} {done} at {where} (version {answer['version']}, {count} "
        f"file{'' if count == 1 else 's'})"
    )


def _delete(url: str, as_json: bool, name: str, target: str | None) -> None:
    with exit_on_error():
        if target is None:
            with _client(url) as client:
                client.delete_tenant(name)
            where = url
        else:
            catalog = _catalog(target)
            where = catalog.where(name)
            if not catalog.delete(name):
                raise AdminNotFound(404, "Not Found", f"no tenant named {name!r} at {where}")
    if as_json:
        output.print_json({"tenant": name, "deleted": True})
    else:
        click.echo(f"tenant {name} deleted at {where}")


def _catalog(target: str) -> TenantCatalog:
    from mockmind.app.environment import read_environment  # noqa: PLC0415
    from mockmind.app.tenant_front import tenant_catalog  # noqa: PLC0415
    from mockmind.config.models import TenantsConfig  # noqa: PLC0415

    location = target if target.startswith("s3://") else str(Path(target).resolve())
    return tenant_catalog(TenantsConfig(catalog=location), read_environment())
