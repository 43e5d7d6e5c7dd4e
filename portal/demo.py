"""Demo city. (Being written.)"""
import click


@click.command("seed-demo")
def seed_demo_command():
    """Build the demo city."""
