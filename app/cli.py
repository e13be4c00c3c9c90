"""Flask CLI commands: ``flask demo load``, ``flask packs validate``."""

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db

demo_cli = AppGroup("demo", help="The embedded Shanghai demo.")
packs_cli = AppGroup("packs", help="Content packs (作战包).")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has places.")
def demo_load(if_empty: bool):
    """Load the Shanghai demo data and demo users."""
    from app.demo.loader import is_empty, load_demo

    if if_empty and not is_empty():
        click.echo("Database already has data; demo not loaded.")
        return
    if not is_empty():
        raise click.ClickException("The database already has places; use an empty database for the demo.")

    def bar(items):
        with click.progressbar(items, label="Loading places") as it:
            yield from it

    counts = load_demo(progress=bar)
    click.echo("Demo loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    click.echo("Log in as rep@demo.battlemap / demo-password (also rep2..rep5, guide, manager, admin).")


@packs_cli.command("validate")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
def packs_validate(directory):
    """Validate every pack YAML (default: content_packs/); errors name the file, the path and the rule."""
    from content_packs import PackError, load_all

    try:
        packs = load_all(directory or current_app.config["CONTENT_PACKS_DIR"])
    except PackError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{len(packs)} packs valid.")


def init_app(app) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(packs_cli)

    @app.shell_context_processor
    def shell_context():
        from app import models

        return {"db": db, "models": models}
