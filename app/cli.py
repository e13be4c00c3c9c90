"""Flask CLI commands: ``flask demo load``, ``flask packs validate|import|export``, ``flask catalog import|export``,
``flask scheduler run``."""

import contextlib
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db

demo_cli = AppGroup("demo", help="The embedded Shanghai demo.")
packs_cli = AppGroup("packs", help="Content packs (作战包).")
scheduler_cli = AppGroup("scheduler", help="The one process that runs periodic jobs.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has places.")
def demo_load(if_empty: bool):
    """Load the demo: Shanghai (two grids) and Hangzhou, their places, zones, packs and demo users."""
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
    click.echo("Log in as rep@demo.battlemap / demo-password (also rep2..rep5, guide, manager, manager2, admin; "
               "Hangzhou: manager.hz, rep.hz).")


@demo_cli.command("simulate")
@click.option("--days", default=28, show_default=True, type=click.IntRange(1, 120),
              help="How many days of field activity, ending yesterday.")
@click.option("--seed", default=20261201, show_default=True, type=int)
@click.option("--if-empty", is_flag=True, help="Do nothing when field activity was already recorded.")
def demo_simulate(days: int, seed: int, if_empty: bool):
    """Write weeks of labelled field activity through the real services (docs/experiments.md)."""
    from sqlalchemy import func, select

    from app.demo.simulate import simulate
    from app.models import Popup

    if if_empty and db.session.scalar(select(func.count()).select_from(Popup)):
        click.echo("Field activity already recorded; nothing simulated.")
        return

    def bar(items):
        with click.progressbar(list(items), label=f"Simulating {days} days") as it:
            yield from it

    result = simulate(days=days, seed=seed, progress=bar)
    click.echo(f"Simulated {result.visits} visits by {result.reps} reps over {result.days} days: "
               f"{result.popups} cards, {result.events} events.")
    for exp in result.experiments:
        click.echo(f"  experiment {exp['id']} ({exp['talk_track']}): {exp['status']}"
                   + (f", winner {exp['winner']}" if exp["winner"] else ""))


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


@packs_cli.command("import")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--publish", is_flag=True, help="Publish what is imported (skips the review: an admin's tool).")
def packs_import(paths, publish: bool):
    """Import pack YAML files or folders (default: content_packs/) as new versions — only where a body changed.

    All or nothing: one broken pack and nothing is imported.
    """
    from app import notifier
    from app.errors import AppError
    from app.services.pack_io import import_body
    from content_packs import PackError, load_all, load_pack

    sources = []
    try:
        for target in map(Path, paths or (current_app.config["CONTENT_PACKS_DIR"],)):
            if target.is_dir():
                sources.extend((str(target / f"{body['id']}.yaml"), body) for body in load_all(target))
            else:
                sources.append((str(target), load_pack(target)))
    except PackError as err:
        raise click.ClickException(str(err)) from err
    changes, created = [], 0
    for i, (source, body) in enumerate(sources, 1):
        try:
            result = import_body(body, publish=publish, source=source)
        except AppError as err:
            db.session.rollback()
            lines = [f"{source}: {where.removeprefix('body.')}: {message}"
                     for where, messages in err.fields.items() for message in messages] or [f"{source}: {err}"]
            raise click.ClickException("\n".join([*lines, "Nothing imported."])) from err
        created += result.created
        what = f"v{result.version.number} {'created' if result.created else 'unchanged'}"
        click.echo(f"[{i}/{len(sources)}] {body['id']}: {what}, {result.version.status}")
        if result.change:
            changes.append(result.change)
    db.session.commit()
    for change in changes:
        notifier.push_pack_updated(change.rep_ids, change.pack_key, change.version)
    click.echo(f"{len(sources)} packs read, {created} new versions, {len(changes)} published.")


@packs_cli.command("export")
@click.argument("key")
@click.option("--version", "number", type=int, help="Version number (default: the live one, else the latest).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: standard output); "
              "name it <pack id>.yaml for `flask packs validate`.")
def packs_export(key: str, number: int | None, output: str | None):
    """Write a stored pack version as YAML that `flask packs validate` and `flask packs import` accept."""
    from app.errors import AppError
    from app.services.pack_io import export_version, pack_yaml

    try:
        version = export_version(key, number)
    except AppError as err:
        raise click.ClickException(err.message) from err
    text = pack_yaml(version)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"{key} v{version.number} ({version.status}) written to {output}", err=True)
    else:
        click.echo(text, nl=False)


@scheduler_cli.command("run")
@click.option("--once", is_flag=True, help="Run every job once and exit (for cron or a check).")
def scheduler_run(once: bool):
    """Run the periodic jobs (scheduled publishing, expiry). Start exactly ONE of these per deployment; with
    several processes give it the same DATABASE_URL and REDIS_URL as the web processes."""
    from app.jobs import JOBS, build_scheduler, run_job

    app = current_app._get_current_object()
    if once:
        for job in JOBS:
            result = run_job(app, job.id)
            click.echo(f"{job.id}: {'failed (see log)' if result is None else f'{len(result)} changes'}")
        return
    scheduler = build_scheduler(app)
    for job in JOBS:
        click.echo(f"scheduled {job.id}: {job.description}")
    if not app.config.get("REDIS_URL"):
        click.echo("REDIS_URL is not set: pack.updated reaches no phone from this process.", err=True)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


geo_cli = AppGroup("geo", help="The geo engine: fences and tracks.")
places_cli = AppGroup("places", help="Client sites (places).")


@geo_cli.command("replay")
@click.argument("track", type=click.Path(exists=True, dir_okay=False))
def geo_replay(track):
    """Replay a track CSV (rep_id,ts,lat,lon,accuracy_m; ts epoch ms; WGS-84) through the live fence rules.

    Prints one JSON line per event: {"rep_id","ts","event","place_id","zone_id","reason"}. Fix timestamps
    drive dwell, cooldown and speed, so the same track always gives the same answer.
    """
    import json

    from app.services.geo_state import fence_settings, snapshot
    from geo import read_track_csv, replay

    try:
        for event in replay(read_track_csv(track), snapshot().index, fence_settings(current_app.config)):
            click.echo(json.dumps(event.as_dict(), ensure_ascii=False))
    except ValueError as err:
        raise click.ClickException(str(err)) from err


@geo_cli.command("purge-fixes")
def geo_purge_fixes():
    """Delete stored location fixes older than FIX_RETENTION_DAYS (the scheduler's geo.purge_fixes does it hourly)."""
    from app.services.locations import purge_fixes

    deleted = purge_fixes()
    click.echo(f"{deleted} stored fixes older than {current_app.config['FIX_RETENTION_DAYS']} days deleted.")


@places_cli.command("import")
@click.argument("csv_file", type=click.File(encoding="utf-8-sig"))
@click.option("--crs", type=click.Choice(["wgs84", "gcj02", "bd09"]), default="wgs84", show_default=True,
              help="Coordinate system of the file: gcj02 for Amap/Tencent, bd09 for Baidu, wgs84 for GPS.")
@click.option("--region", help="Region key the places belong to, e.g. shanghai.")
def places_import(csv_file, crs, region):
    """Create or update places from a CSV (key,name,category,lat,lon[,radius_m,address,tags,stage,budget_cny])."""
    import csv

    from app.errors import AppError
    from app.services.places import import_places

    def bar(items):
        with click.progressbar(items, label="Importing places") as it:
            yield from it

    try:
        counts = import_places(list(csv.DictReader(csv_file)), crs=crs, region=region, progress=bar)
    except AppError as err:
        details = "\n".join(f"  {where}: {problems}" for where, problems in err.fields.items())
        raise click.ClickException(f"{err.message}\n{details}") from err
    click.echo(f"{counts['created']} places created, {counts['updated']} updated (coordinates from {crs}).")


catalog_cli = AppGroup("catalog", help="The product catalog (产品目录): import and export CSV or YAML.")


def _catalog_format(path: str | None, fmt: str | None) -> str:
    if fmt:
        return fmt
    return "csv" if path and path.lower().endswith(".csv") else "yaml"


@catalog_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "yaml"]), help="Default: from the file name (.csv, "
              "else YAML).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the messages.")
def catalog_import(file: str, fmt: str | None, lang: str):
    """Create or update products from FILE (shaped like app/demo/data/products.yaml, or CSV; docs/catalog.md).

    The whole file is validated first: one error and nothing is written. Products not in the file stay.
    """
    from app import i18n
    from app.services import audit
    from app.services.catalog import CATALOG, PRODUCT, CatalogInvalid, import_rows, read_file, validate_rows

    text = Path(file).read_text(encoding="utf-8-sig")
    rows, problems = read_file(text, _catalog_format(file, fmt))

    def bar(items):
        with click.progressbar(items, label=i18n.message("catalog.progress", lang)) as it:
            yield from it

    try:
        if problems:  # unreadable parts: still say everything else that is wrong
            more = validate_rows(rows)[1]
            raise CatalogInvalid(sorted([*problems, *more], key=lambda p: p.line), lang)
        counts = import_rows(rows, locale=lang, progress=bar if len(rows) > 200 else (lambda it: it))
    except CatalogInvalid as err:
        db.session.rollback()
        lines = [p.render(lang) for p in err.problems]
        raise click.ClickException("\n".join([*lines, err.message])) from err
    if counts["created"] or counts["updated"]:
        audit.record(actor=None, action="catalog.imported", target_type=PRODUCT, target_id=None, region_id=None,
                     detail={"file": Path(file).name, **counts, "counter": CATALOG})
    db.session.commit()
    click.echo(i18n.message("catalog.imported", lang, {"count": len(rows), **counts}))


@catalog_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "yaml"]), help="Default: from -o's name, else YAML.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: standard output).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def catalog_export(fmt: str | None, output: str | None, lang: str):
    """Write every product as YAML or CSV that `flask catalog import` reads back unchanged."""
    from app import i18n
    from app.services.catalog import export_rows, to_csv, to_yaml

    rows = export_rows()
    text = to_csv(rows) if _catalog_format(output, fmt) == "csv" else to_yaml(rows)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(i18n.message("catalog.exported", lang, {"count": len(rows), "file": output}), err=True)
    else:
        click.echo(text, nl=False)


users_cli = AppGroup("users", help="Users and the team (docs/team.md).")


@users_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--locale", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the messages.")
def users_import(file: str, locale: str):
    """Create or update users from a CSV (email,name,password,role,region[,grid,skill_level,tags,active,locale,
    counter_type]; tags split by | or ;). The whole file is checked first: one bad line and nothing is written."""
    from app import i18n
    from app.services.users import UsersInvalid, import_users, read_csv

    rows, problems = read_csv(Path(file).read_text(encoding="utf-8-sig"))

    def bar(items):
        with click.progressbar(items, label=i18n.message("team.import.progress", locale)) as it:
            yield from it

    try:
        if problems:
            raise UsersInvalid(problems, locale)
        counts = import_users(rows, locale=locale, progress=bar if len(rows) > 200 else (lambda it: it))
    except UsersInvalid as err:
        db.session.rollback()
        raise click.ClickException("\n".join([*(p.render(locale) for p in err.problems), err.message])) from err
    click.echo(i18n.message("team.import.done", locale, {"count": len(rows), **counts}))


zones_cli = AppGroup("zones", help="Zones (polygons with a zone type).")


@zones_cli.command("import")
@click.argument("geojson_file", type=click.File(encoding="utf-8-sig"))
@click.option("--region", required=True, help="Region key the zones belong to, e.g. shanghai.")
@click.option("--crs", type=click.Choice(["wgs84", "gcj02", "bd09"]), default="wgs84", show_default=True,
              help="Coordinate system of the file: gcj02 for Amap/Tencent, bd09 for Baidu, wgs84 for GPS.")
def zones_import(geojson_file, region, crs):
    """Create or update zones from a GeoJSON FeatureCollection of Polygons (properties: key, name, zone_type)."""
    import json

    from app.errors import AppError
    from app.services.zones import import_zones

    try:
        document = json.load(geojson_file)
    except json.JSONDecodeError as err:
        raise click.ClickException(f"Not JSON: {err}") from err
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        raise click.ClickException("Expected a GeoJSON FeatureCollection.")
    try:
        counts = import_zones(features, region=region, crs=crs)
    except AppError as err:
        details = "\n".join(f"  {where}: {problems}" for where, problems in err.fields.items())
        raise click.ClickException(f"{err.message}\n{details}") from err
    click.echo(f"{counts['created']} zones created, {counts['updated']} updated (coordinates from {crs}).")


def init_app(app) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(packs_cli)
    app.cli.add_command(geo_cli)
    app.cli.add_command(places_cli)
    app.cli.add_command(zones_cli)
    app.cli.add_command(catalog_cli)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(users_cli)

    @app.shell_context_processor
    def shell_context():
        from app import models

        return {"db": db, "models": models}
