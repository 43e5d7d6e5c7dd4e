"""The city's working calendar: holidays and 调休 make-up workdays per year, as admins entered or confirmed them."""
from portal.workcalendar.services import city_calendar, provisional_years
from portal.workdays import EXTENSION_KEY


def init_app(app):
    """Every working-hour computation in this app uses the city's calendar; console pages can ask for the
    provisional years (the banner)."""
    app.extensions[EXTENSION_KEY] = city_calendar
    app.jinja_env.globals["provisional_calendar_years"] = provisional_years
