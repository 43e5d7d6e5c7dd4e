"""The composition root: the one package that imports every layer.

``create_app`` builds the shell (``portal.build_app``: configuration, extensions, logging, errors, scheduler...) and
plugs the layers into it: their models (registered on the metadata for migrations and ``create_all``), blueprints,
hooks and commands. Nothing below this package imports it (the import contracts in ``.importlinter`` say so); a new
blueprint, model module or app hook is added to the lists here.
"""
import complaints.case_records
import complaints.models
import complaints.supervision.models
import oversight.board.models
import oversight.open311.models
import oversight.scorecards.models
import oversight.scorecards.snapshot_models
import surveys.models
import surveys.rectification_models
from complaints import notifications
from complaints.console.supervision import bp as supervision_bp
from complaints.console.views import bp as cases_bp
from complaints.handling import recalculate_due_times
from complaints.ledger.views import bp as ledger_bp
from complaints.queries import today_work
from complaints.views import bp as complaints_bp
from composition import demo
from oversight.board.console import bp as board_console_bp
from oversight.board.views import bp as board_bp
from oversight.open311.console import bp as open311_console_bp
from oversight.open311.views import bp as open311_bp
from oversight.scorecards.bulletin_views import bp as bulletins_bp
from oversight.scorecards.public_views import bp as honours_bp
from oversight.scorecards.rules import verdict_min_n
from oversight.scorecards.views import bp as scorecards_bp
from portal import hooks
from portal.app import build_app
from surveys.console import bp as survey_builder_bp
from surveys.distribution_views import bp as survey_distribution_bp
from surveys.rates import verdict_text
from surveys.results.views import bp as survey_results_bp
from surveys.views import bp as surveys_bp

# Importing a model module registers its tables; the shell's own models are imported by ``portal.build_app``.
MODEL_MODULES = (complaints.models, complaints.supervision.models, oversight.board.models, oversight.open311.models,
                 oversight.scorecards.models, oversight.scorecards.snapshot_models, surveys.models)

# After the shell's own blueprints (health, home, auth, console, registry, qr, transfer, scheduler, calendar, map,
# API docs), in this order.
BLUEPRINTS = (complaints_bp, cases_bp, ledger_bp, surveys_bp, survey_builder_bp, survey_distribution_bp,
              survey_results_bp, supervision_bp, scorecards_bp, bulletins_bp, honours_bp, board_bp,
              board_console_bp, open311_bp, open311_console_bp)


def create_app(config=None):
    """Build the app. ``config`` (a dict) replaces the environment entirely, which is what tests do."""
    return build_app(config, plug_in=plug_in)


def plug_in(app):
    """What the layers add to the shell: blueprints, hooks the shell calls without importing them, commands."""
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    notifications.init_app(app)  # case events -> delivery queue; sending after requests and by command
    hooks.provide(app, hooks.CALENDAR_CHANGED, recalculate_due_times)  # open cases' due times follow the calendar
    hooks.provide(app, hooks.TODAY_WORK, today_work)  # the console home's work for today
    hooks.provide(app, hooks.VERDICT_MIN_N, verdict_min_n)  # survey results judge by the scorecard rule's n
    # The verdict on a figure against a line, in the same words on every page (surveys.rates.verdict).
    app.jinja_env.globals["verdict_text"] = verdict_text
    app.cli.add_command(demo.seed_demo_command)
    app.cli.add_command(demo.demo_logins_command)
