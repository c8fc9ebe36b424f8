"""The webhook Démarches Simplifiées calls on each change of a dossier's state.

DS `POST`s a form (`procedure_id`, `dossier_id`, `state`, `updated_at`: app/jobs/web_hook_job.rb) to the URL the
démarche's administrator set, and waits 10 s at most. The last part of our URL is a secret (DS_WEBHOOK_SECRET):
a wrong one — or none configured — is a 404, like any page that does not exist. The dossier is read again from the
API by a task (the form's fields are only a hint: nothing in them is trusted).
"""

import hmac
import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from demarches.client import DsFailure, configured
from demarches.tasks import sync_dossier

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, secret: str) -> HttpResponse:
    expected = settings.DS_WEBHOOK_SECRET
    if not (configured() and expected and hmac.compare_digest(secret.encode(), expected.encode())):
        raise Http404
    try:
        procedure = int(request.POST.get("procedure_id", ""))
        number = int(request.POST.get("dossier_id", ""))
    except ValueError:
        return HttpResponseBadRequest("procedure_id et dossier_id attendus (nombres).")
    if procedure != settings.DS_DEMARCHE_NUMBER:
        return HttpResponse("Démarche non suivie : ignoré.", content_type="text/plain; charset=utf-8")
    try:
        sync_dossier.delay(number)
    except DsFailure as exc:  # eager mode (no broker): the next scheduled sync will read it
        logger.warning("DS webhook: dossier %s not read now: %s", number, exc)
    except Exception:  # the broker is down: the next scheduled sync will read it
        logger.exception("DS webhook: could not queue dossier %s", number)
    return HttpResponse("Reçu.", status=202, content_type="text/plain; charset=utf-8")
