from django.apps import AppConfig


class DemoConfig(AppConfig):
    """No models: an app only so that Django finds the load_demo commands in management/commands/."""
    name = "academy.demo"
    label = "demo"
