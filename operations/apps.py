from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running the product: the background jobs' registry and their Celery tasks, reference data and demo
    loading, and the commands operators type. At the top of the dependency chain: it may import every app,
    and no app imports it."""

    name = "operations"
    verbose_name = "Exploitation"
