{{/*
The processes of the platform: what each runs and which environment prefix it reads. The same
table as tools/devstack/src/devstack/wiring.py SERVICES (a test keeps them equal).
  module      python -m <module> serve <roles>|migrate
  envPrefix   its settings' environment prefix (<PREFIX>HOST, <PREFIX>PORT)
  roles       what the process runs: api (HTTP), stream (event subscribers), worker (Temporal),
              deliver (webhook deliveries), poll (SNMP polling)
  api         serves HTTP behind the gateway and owns a schema (migrated); false for a second
              process of a service
  secrets     the Secret keys it needs besides the shared ones; optional ones may be absent
*/}}
{{- define "dotmac.catalogue" -}}
registration:
  module: registration
  envPrefix: REGISTRATION_
  roles: [api, stream]
  api: true
licensing:
  module: licensing
  envPrefix: LICENSING_
  roles: [api, stream]
  api: true
  secrets:
    - {key: LICENSING_SIGNING_KEY, optional: false}
provisioning:
  module: provisioning
  envPrefix: PROVISIONING_
  roles: [api]
  api: true
provisioning-worker:
  module: provisioning
  envPrefix: PROVISIONING_
  roles: [worker, stream]
  api: false
billing:
  module: billing
  envPrefix: BILLING_
  roles: [api, stream, worker]
  api: true
  secrets:
    - {key: BILLING_STRIPE_API_KEY, optional: true}
    - {key: BILLING_STRIPE_WEBHOOK_SECRET, optional: true}
network:
  module: network
  envPrefix: NETWORK_
  roles: [api, stream, poll]
  api: true
tenant-api:
  module: tenant_api
  envPrefix: TENANT_API_
  roles: [api, stream]
  api: true
  secrets:
    - {key: TENANT_API_JWT_SECRET, optional: false}
    - {key: TENANT_API_DATABASE_URL, optional: true}
webhooks:
  module: webhooks
  envPrefix: WEBHOOKS_
  roles: [api, stream, deliver]
  api: true
webapp:
  module: webapp
  envPrefix: WEBAPP_
  roles: [api]
  api: true
{{- end }}

{{/* Secret keys every process gets. */}}
{{- define "dotmac.sharedSecretKeys" -}}
- DOTMAC_DATABASE_URL
- DOTMAC_INTERNAL_TOKEN
- DOTMAC_OPERATOR_TOKEN
- DOTMAC_DEVICE_SECRETS_KEYS
{{- end }}

{{- define "dotmac.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "dotmac.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The object name of one component: <fullname>-<component>, at most 63 characters. */}}
{{- define "dotmac.componentName" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "dotmac.fullname" $root) (index . 1) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "dotmac.labels" -}}
{{- $root := index . 0 -}}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: dotmac
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
{{ include "dotmac.selectorLabels" . }}
{{- end }}

{{- define "dotmac.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "dotmac.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* The name of the Secret the processes read. */}}
{{- define "dotmac.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- include "dotmac.componentName" (list . "secrets") }}
{{- end }}
{{- end }}

{{/* One process's settings: serviceDefaults, with the keys services.<name> sets replacing
theirs (whole blocks: sprig's merge cannot override a default true with false). */}}
{{- define "dotmac.serviceSettings" -}}
{{- $root := index . 0 -}}
{{- $own := index $root.Values.services (index . 1) | default dict }}
{{- $out := dict }}
{{- range $key, $value := $root.Values.serviceDefaults }}
{{- $_ := set $out $key $value }}
{{- end }}
{{- range $key, $value := $own }}
{{- $_ := set $out $key $value }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* The image of one process: services.<name>.image, else the chart's image; tag defaults to the
chart's appVersion. */}}
{{- define "dotmac.image" -}}
{{- $root := index . 0 -}}
{{- $own := (index . 1).image | default dict }}
{{- $repository := $own.repository | default $root.Values.image.repository }}
{{- $tag := $own.tag | default $root.Values.image.tag | default $root.Chart.AppVersion }}
{{- printf "%s:%s" $repository (toString $tag) }}
{{- end }}

{{/* The platform's database URL (the schemas' owner), from postgres.*. */}}
{{- define "dotmac.databaseUrl" -}}
{{- with .Values.postgres }}
{{- if .url }}
{{- .url }}
{{- else }}
{{- $password := "" }}
{{- if .password }}
{{- $password = printf ":%s" (.password | urlquery | replace "+" "%20") }}
{{- end }}
{{- $options := "" }}
{{- if .options }}
{{- $options = printf "?%s" .options }}
{{- end }}
{{- printf "postgresql+asyncpg://%s%s@%s:%v/%s%s" (.user | urlquery) $password .host .port .database $options }}
{{- end }}
{{- end }}
{{- end }}

{{/* tenant-api's URL: the platform's database as postgres.tenantApi.user with its password.
Empty when no password is set (tenant-api then derives it, without a password). */}}
{{- define "dotmac.tenantApiDatabaseUrl" -}}
{{- with .Values.postgres }}
{{- if and .tenantApi.password (not .url) }}
{{- $options := "" }}
{{- if .options }}
{{- $options = printf "?%s" .options }}
{{- end }}
{{- printf "postgresql+asyncpg://%s:%s@%s:%v/%s%s" (.tenantApi.user | urlquery) (.tenantApi.password | urlquery | replace "+" "%20") .host .port .database $options }}
{{- end }}
{{- end }}
{{- end }}

{{- define "dotmac.podSpecCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
# Nothing in DotMac calls the Kubernetes API from these pods.
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
