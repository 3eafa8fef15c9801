{{/* Name of the chart, or nameOverride. */}}
{{- define "drplan.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified name: fullnameOverride, else release-name (the release name alone when it holds the chart name). */}}
{{- define "drplan.fullname" -}}
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

{{- define "drplan.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "drplan.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: drplan-operator
{{- end }}

{{- define "drplan.selectorLabels" -}}
app.kubernetes.io/name: {{ include "drplan.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
control-plane: controller-manager
{{- end }}

{{- define "drplan.serviceAccountName" -}}
{{- if .Values.controller.serviceAccount.create }}
{{- default (include "drplan.fullname" .) .Values.controller.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.controller.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "drplan.image" -}}
{{- $img := .Values.controller.image -}}
{{- $tag := default .Chart.AppVersion $img.tag -}}
{{- if $img.registry }}{{ printf "%s/%s:%s" $img.registry $img.repository $tag }}{{ else }}{{ printf "%s:%s" $img.repository $tag }}{{ end }}
{{- end }}

{{- define "drplan.webhookService" -}}{{ include "drplan.fullname" . }}-webhook{{- end }}
{{- define "drplan.webhookConfiguration" -}}{{ include "drplan.fullname" . }}-validating{{- end }}
{{- define "drplan.mutatingWebhookConfiguration" -}}{{ include "drplan.fullname" . }}-mutating{{- end }}
{{- define "drplan.webhookSecret" -}}{{ include "drplan.fullname" . }}-webhook-cert{{- end }}
{{- define "drplan.selfCerts" -}}{{ and .Values.controller.webhook.enabled (eq .Values.controller.webhook.certificates.provider "self") }}{{- end }}
{{- define "drplan.certManager" -}}{{ and .Values.controller.webhook.enabled (eq .Values.controller.webhook.certificates.provider "cert-manager") }}{{- end }}
