"""Command-line tasks: ``flask --app wsgi <command>``."""
import click
from flask.cli import with_appcontext

from portal.auth.models import Role, User
from portal.auth.services import save_user
from portal.city import ensure_city_settings
from portal.extensions import db


@click.command("create-admin")
@click.argument("username")
@click.password_option()
@with_appcontext
def create_admin(username, password):
    """Create an administrator account (for a city without demo data)."""
    ensure_city_settings()
    if db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none():
        raise click.ClickException(f"user {username} exists")
    save_user(User(), {"username": username, "display_name": username, "role": Role.ADMIN}, actor=None,
              password=password)
    db.session.commit()
    click.echo(f"admin {username} created")


def init_app(app):
    app.cli.add_command(create_admin)  # the demo's commands come from the composition root
