{{/* Chart name, overridable. */}}
{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; short enough to leave room for "-admin". */}}
{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 57 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 57 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 57 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sluice.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of the helm test pod: never the selector labels, so no Service, PDB or Deployment picks it up. */}}
{{- define "sluice.testLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}-test
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "sluice.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The configuration file: the user's HOCON, then the settings the pod spec depends on. HOCON merges later
paths over earlier ones, so these win over the same keys in .Values.config.
*/}}
{{- define "sluice.config" -}}
{{ .Values.config }}
# Set by the chart from its values, so probes and the termination grace period agree with Sluice:
sluice.admin.listen = "0.0.0.0:{{ .Values.adminPort }}"
sluice.shutdown-timeout = {{ .Values.shutdown.timeoutSeconds }}s
sluice.drain-delay = {{ .Values.shutdown.drainDelaySeconds }}s
{{- if .Values.reloadOnChange }}
sluice.reload.watch = true
{{- end }}
{{- end }}

{{- define "sluice.terminationGracePeriodSeconds" -}}
{{- with .Values.shutdown }}
{{- add .preStopSleepSeconds .drainDelaySeconds .timeoutSeconds .extraGraceSeconds }}
{{- end }}
{{- end }}
