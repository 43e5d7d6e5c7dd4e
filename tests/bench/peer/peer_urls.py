"""URLs of the peer benchmark: the survey app at /survey/ (its README's setup) and a bare health check."""
from django.http import HttpResponse
from django.urls import include, path

urlpatterns = [path("survey/", include("survey.urls")), path("healthz", lambda request: HttpResponse("ok"))]
