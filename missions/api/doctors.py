"""Doctors: public registration, the ARS's list and decisions, a doctor's own file."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authority import visible
from accounts.person import signed_in
from api.errors import conflict
from api.permissions import IsArsStaff, IsDoctor, IsDoctorOrArsStaff
from api.throttles import RegistrationThrottle
from missions import doctor_file, services
from missions.api.shared import audited
from missions.filters import DoctorFilter
from missions.models import Doctor
from missions.registration import Registration
from sites.models import Commune, Department, Zone


class DoctorSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    practice_commune: serializers.SlugRelatedField[Commune] = serializers.SlugRelatedField(
        slug_field="insee_code", read_only=True, help_text="Code INSEE."
    )
    practice_department: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    cdom_department: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    zones: serializers.PrimaryKeyRelatedField[Zone] = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Doctor
        fields = [
            "id",
            "status",
            "email",
            "first_name",
            "last_name",
            "rpps",
            "specialty",
            "sector",
            "mode",
            "practice_commune",
            "practice_department",
            "cdom_department",
            "zones",
            "phone",
            "replacement_declared",
            "billing_number",
            "status_reason",
            "submitted_at",
            "validated_at",
            # the file's steps (issue #15)
            "cdom_status",
            "cdom_decided_at",
            "cdom_reason",
            "insurance_status",
            "insurer",
            "insurance_contract",
            "insurance_covers_sites",
            "insurance_declared_at",
            "billing_number_status",
            "billing_number_recorded_at",
            "cps_card_status",
            "cps_card_received_on",
        ]
        read_only_fields = fields


class DoctorFileSerializer(serializers.Serializer):
    """What a doctor changes of their own file (every field optional: send only what changes). The three insurance
    fields go together; `cps_card_received: true` declares the new CPS card received."""

    phone = serializers.CharField(max_length=30, allow_blank=True, required=False)
    sector = serializers.ChoiceField(choices=Doctor.Sector.choices, required=False)
    mode = serializers.ChoiceField(choices=Doctor.Mode.choices, required=False)
    replacement_declared = serializers.BooleanField(required=False)
    zones = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        max_length=500,
        required=False,
        help_text="Identifiants de toutes les zones que le médecin couvre (la liste remplace la précédente).",
    )
    insurer = serializers.CharField(max_length=150, required=False, help_text="Assureur en RCP.")
    insurance_contract = serializers.CharField(max_length=60, required=False, help_text="N° de contrat RCP.")
    insurance_covers_sites = serializers.BooleanField(
        required=False, help_text="Le médecin atteste que le contrat couvre l'exercice sur les lieux d'accueil."
    )
    cps_card_received = serializers.BooleanField(required=False, help_text="« Carte reçue » : true.")

    def validate_zones(self, value: list[int]) -> list[Zone]:
        return DoctorRegistrationSerializer().validate_zones(value)

    def validate(self, attrs: dict) -> dict:
        insurance = {"insurer", "insurance_contract", "insurance_covers_sites"}
        given = insurance & set(attrs)
        if given and given != insurance:
            raise serializers.ValidationError(
                {
                    name: ["Indiquez ensemble l'assureur, le n° de contrat et l'attestation de couverture."]
                    for name in sorted(insurance - given)
                }
            )
        if attrs.get("cps_card_received") is False:
            raise serializers.ValidationError(
                {"cps_card_received": ["Seule la réception de la carte se déclare (true)."]}
            )
        return attrs


class DoctorRegistrationSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    rpps = serializers.CharField(max_length=20, help_text="11 chiffres, clé de Luhn comprise.")
    specialty = serializers.CharField(max_length=150, allow_blank=True, default="")
    sector = serializers.ChoiceField(choices=Doctor.Sector.choices)
    mode = serializers.ChoiceField(choices=Doctor.Mode.choices, default=Doctor.Mode.LIBERAL)
    practice_commune = serializers.CharField(max_length=5, help_text="Code INSEE de la commune d'exercice principal.")
    cdom_department = serializers.CharField(
        max_length=3,
        required=False,
        help_text="Code du département du CDOM d'inscription (par défaut : celui de la commune d'exercice).",
    )
    phone = serializers.CharField(max_length=30, allow_blank=True, default="")
    zones = serializers.ListField(
        # Bounded like the ids they name: a larger number made the database refuse the query (500).
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        default=list,
        max_length=500,
        help_text="Identifiants des zones que le médecin peut couvrir.",
    )
    replacement_declared = serializers.BooleanField(default=False)

    def validate_practice_commune(self, value: str) -> Commune:
        commune = Commune.objects.select_related("department").filter(insee_code=value.strip().upper()).first()
        if commune is None:
            raise serializers.ValidationError(f"Aucune commune ne porte le code INSEE « {value} ».")
        return commune

    def validate_cdom_department(self, value: str) -> Department:
        department = Department.objects.filter(code=value.strip().upper()).first()
        if department is None:
            raise serializers.ValidationError(f"Département inconnu : « {value} ».")
        return department

    def validate_zones(self, value: list[int]) -> list[Zone]:
        zones = {zone.pk: zone for zone in Zone.objects.filter(pk__in=value)}
        unknown = [str(pk) for pk in value if pk not in zones]
        if unknown:
            raise serializers.ValidationError(f"Zone inconnue : {', '.join(unknown)}.")
        return [zones[pk] for pk in dict.fromkeys(value)]


class DoctorDecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, default="")


DOCTOR_TRANSITION = conflict("invalid_transition")
DOCTOR_VALIDATION = conflict("invalid_transition", "insurance_missing", "cdom_refused", "rpps_mismatch_reason_required")


@extend_schema_view(
    list=extend_schema(summary="Lister les médecins (équipe ARS)"),
    retrieve=extend_schema(summary="Voir un médecin", description="L'équipe ARS : tous ; un médecin : lui-même."),
)
class DoctorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DoctorSerializer
    filterset_class = DoctorFilter

    def get_queryset(self) -> QuerySet:
        return (
            visible(self.request.user, Doctor)
            .select_related("user", "practice_commune", "practice_department", "cdom_department")
            .prefetch_related("zones")
            .order_by("last_name", "first_name", "pk")
        )

    def list(self, request: Request, *args, **kwargs) -> Response:
        return audited(request, super().list(request, *args, **kwargs), "missions.doctor")

    def get_permissions(self):
        if self.action == "create":
            return [AllowAny()]
        if self.action == "retrieve":
            return [IsDoctorOrArsStaff()]
        if self.action == "me":
            return [IsDoctor()]
        return [IsArsStaff()]

    def get_throttles(self):
        return [RegistrationThrottle()] if self.action == "create" else []

    @extend_schema(
        summary="S'inscrire comme médecin volontaire",
        description="Inscription publique : crée le compte et le dossier, au statut « submitted ».",
        request=DoctorRegistrationSerializer,
        responses={201: DoctorSerializer},
        auth=[],
    )
    def create(self, request: Request) -> Response:
        serializer = DoctorRegistrationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        doctor = services.register_doctor(Registration(**serializer.validated_data))
        return Response(DoctorSerializer(doctor).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], summary="Mon dossier de médecin")
    @extend_schema(
        methods=["PATCH"],
        summary="Modifier mon dossier de médecin",
        description="Téléphone, secteur, mode d'exercice, remplacement, zones, assurance RCP, carte CPS reçue. "
        "Chaque modification est gardée dans l'historique ; un changement de secteur ou de zones est signalé à "
        "l'équipe ARS de la région.",
        request=DoctorFileSerializer,
        responses={200: DoctorSerializer, 409: DOCTOR_TRANSITION},
    )
    @action(detail=False, methods=["get", "patch"])
    def me(self, request: Request) -> Response:
        doctor = self.get_queryset().get(user=request.user)
        if request.method == "PATCH":
            serializer = DoctorFileSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            doctor_file.apply_changes(doctor, serializer.validated_data, by=signed_in(request))
            doctor = self.get_queryset().get(pk=doctor.pk)
        return Response(DoctorSerializer(doctor).data)

    @extend_schema(
        summary="Valider un dossier",
        description=(
            "L'assurance RCP doit être déclarée (409 `insurance_missing`) et le CDOM ne pas avoir refusé "
            "(409 `cdom_refused`). Quand l'annuaire RPPS chargé ne concorde pas avec le dossier (n° inconnu, pas "
            "médecin, nom ou spécialité différents), le motif (`reason`) est obligatoire : sans lui, 409 "
            "`rpps_mismatch_reason_required`."
        ),
        request=DoctorDecisionSerializer,
        responses={200: DoctorSerializer, 409: DOCTOR_VALIDATION},
    )
    @action(detail=True, methods=["post"])
    def validate(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(services.validate_doctor)

    @extend_schema(
        summary="Refuser un dossier",
        request=DoctorDecisionSerializer,
        responses={200: DoctorSerializer, 409: DOCTOR_TRANSITION},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(services.reject_doctor)

    @extend_schema(
        summary="Suspendre un médecin",
        request=DoctorDecisionSerializer,
        responses={200: DoctorSerializer, 409: DOCTOR_TRANSITION},
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(services.suspend_doctor)

    @extend_schema(
        summary="Lever une suspension", request=None, responses={200: DoctorSerializer, 409: DOCTOR_TRANSITION}
    )
    @action(detail=True, methods=["post"])
    def reinstate(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(services.reinstate_doctor, with_reason=False)

    def _decide(self, service, *, with_reason: bool = True) -> Response:
        doctor = self.get_object()
        kwargs = {}
        if with_reason:
            serializer = DoctorDecisionSerializer(data=self.request.data)
            serializer.is_valid(raise_exception=True)
            kwargs["reason"] = serializer.validated_data["reason"]
        service(doctor, by=self.request.user, **kwargs)
        return Response(DoctorSerializer(self.get_queryset().get(pk=doctor.pk)).data)
