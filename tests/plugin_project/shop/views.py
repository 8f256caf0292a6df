"""The shop's own sign-in: a phone number and the login code sent to it."""

from django.contrib.auth import authenticate, login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from django_lc_phone.exceptions import ProviderError


@csrf_exempt
@require_POST
def sign_in(request: HttpRequest) -> HttpResponse:
    """POST phone + code: signs the user in with a Django session."""
    try:
        user = authenticate(
            request, phone=request.POST.get("phone"), sms_token=request.POST.get("code")
        )
    except ProviderError:
        return JsonResponse({"error": "try again in a minute"}, status=503)
    if user is None:
        return JsonResponse({"error": "wrong number or code"}, status=401)
    login(request, user)
    return JsonResponse({"signed_in": user.get_username()})
