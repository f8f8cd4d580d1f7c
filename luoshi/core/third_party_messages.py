"""Messages of third-party admin pages (django-q2, django-axes) that their own zh-hans
catalogues leave untranslated. Listed here so that `make messages` keeps them in the project's
catalogue, which Django reads before any app's (LOCALE_PATHS): their admin pages then read in
Chinese too. Nothing imports this module; regenerate the lists after upgrading either (see the
README)."""

from django.utils.translation import gettext_noop

DJANGO_Q_MESSAGES = (
    gettext_noop("Time Taken"),
    gettext_noop("Short result"),
    gettext_noop("Task id"),
    gettext_noop("32-character task identifier."),
    gettext_noop("Name"),
    gettext_noop("Optional human-readable name for lookup and display."),
    gettext_noop("Function"),
    gettext_noop("Dotted import path to the callable, e.g. myapp.tasks.job."),
    gettext_noop("Hook"),
    gettext_noop("Optional dotted path to a callback that receives the task result."),
    gettext_noop("Arguments"),
    gettext_noop("Pickled positional arguments (tuple)."),
    gettext_noop("Keyword arguments"),
    gettext_noop("Pickled keyword arguments (dict)."),
    gettext_noop("Result"),
    gettext_noop("Pickled return value or error payload."),
    gettext_noop("Group"),
    gettext_noop("Optional group id to aggregate related tasks."),
    gettext_noop("Name of the cluster that executed this task."),
    gettext_noop("Started at"),
    gettext_noop("When the worker started executing the task."),
    gettext_noop("When the worker finished (success or failure)."),
    gettext_noop("False if the task raised an exception or timed out."),
    gettext_noop("Attempt count"),
    gettext_noop("How many times execution was attempted."),
    gettext_noop("Task"),
    gettext_noop("Tasks"),
    gettext_noop("Optional label to identify this schedule in the admin."),
    gettext_noop("e.g. module.tasks.function"),
    gettext_noop("e.g. module.tasks.result_function"),
    gettext_noop("How often this task should be enqueued."),
    gettext_noop("When this schedule runs next (stored in UTC)."),
    gettext_noop("Last task id"),
    gettext_noop("Id of the last task spawned from this schedule (read-only)."),
    gettext_noop("Name of the target cluster"),
    gettext_noop("Intended date kwarg"),
    gettext_noop("Payload"),
    gettext_noop("Signed serialized task package (do not edit manually)."),
    gettext_noop("Lock until"),
    gettext_noop("Prevent any cluster from pulling until"),
    gettext_noop("SIGALARM is not available on your platform"),
)

# django-axes (log-in lockout): its admin list of failed log-ins, shown in org's admin.
AXES_MESSAGES = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Failed Logins"),
)
