{{/* The chart's name, overridable. */}}
{{- define "zonekeeper.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The full name of every object of the release. */}}
{{- define "zonekeeper.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "zonekeeper.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "zonekeeper.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "zonekeeper.selectorLabels" -}}
app.kubernetes.io/name: {{ include "zonekeeper.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "zonekeeper.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "zonekeeper.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "zonekeeper.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "zonekeeper.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The provider name as the daemon spells it. */}}
{{- define "zonekeeper.provider" -}}
{{- if eq .Values.provider.name "aws" }}route53{{ else }}{{ .Values.provider.name }}{{ end }}
{{- end }}

{{/*
The RBAC rules reading what the configured sources read, and nothing else. The
service source reads EndpointSlices and Pods for headless Services and Nodes for
NodePort Services; Nodes are cluster-scoped, so a namespaced release cannot
read them. Events are written on the objects records come from.
*/}}
{{- define "zonekeeper.sourceRules" -}}
{{- $read := list "get" "list" "watch" }}
{{- if has "service" .Values.sources }}
- apiGroups: [""]
  resources: ["services", "pods"]
  verbs: {{ toJson $read }}
- apiGroups: ["discovery.k8s.io"]
  resources: ["endpointslices"]
  verbs: {{ toJson $read }}
{{- if not .Values.namespaced }}
- apiGroups: [""]
  resources: ["nodes"]
  verbs: {{ toJson $read }}
{{- end }}
{{- end }}
{{- if has "ingress" .Values.sources }}
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses"]
  verbs: {{ toJson $read }}
{{- end }}
{{- /* Events on the objects behind records: client-go's events.k8s.io/v1
broadcaster creates them, and patches a repeated one's series. */}}
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/* Checks across values that the schema cannot express. */}}
{{- define "zonekeeper.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail "replicaCount above 1 needs leaderElection.enabled: true, or every replica writes the same records" }}
{{- end }}
{{- if and .Values.txtPrefix .Values.txtSuffix }}
{{- fail "txtPrefix and txtSuffix exclude each other: set one" }}
{{- end }}
{{- if and .Values.txtEncryption.enabled (not .Values.txtEncryption.secretName) }}
{{- fail "txtEncryption.enabled needs txtEncryption.secretName: the AES key comes from an existing Secret only" }}
{{- end }}
{{- $p := include "zonekeeper.provider" . }}
{{- if and (eq $p "cloudflare") (not .Values.cloudflare.credentials.secretName) }}
{{- fail "provider cloudflare needs cloudflare.credentials.secretName: an existing Secret with the API token" }}
{{- end }}
{{- if and (eq $p "cloudflare") (or .Values.cloudflare.credentials.apiKeyKey .Values.cloudflare.credentials.emailKey) (not (and .Values.cloudflare.credentials.apiKeyKey .Values.cloudflare.credentials.emailKey)) }}
{{- fail "cloudflare.credentials.apiKeyKey and emailKey go together: set both for the global API key, or neither for the token" }}
{{- end }}
{{- if eq $p "rfc2136" }}
{{- if not .Values.rfc2136.host }}
{{- fail "provider rfc2136 needs rfc2136.host: at least one DNS server" }}
{{- end }}
{{- if not .Values.rfc2136.zones }}
{{- fail "provider rfc2136 needs rfc2136.zones: at least one zone" }}
{{- end }}
{{- if and (not .Values.rfc2136.insecure) (not (and .Values.rfc2136.tsigKeyname .Values.rfc2136.tsigSecret.secretName)) }}
{{- fail "provider rfc2136 needs rfc2136.tsigKeyname and rfc2136.tsigSecret.secretName, or rfc2136.insecure: true" }}
{{- end }}
{{- end }}
{{- if and (eq $p "inmemory") (not .Values.inmemory.zones) }}
{{- fail "provider inmemory needs inmemory.zones: at least one zone" }}
{{- end }}
{{- end }}

{{/*
The provider Secret key mounted as a file, as YAML {path, secretName, key}, or
nothing when the provider reads no file. Files rather than environment
variables where the daemon accepts both: a file's value never shows in the
Deployment or in the process's environment dump.
*/}}
{{- define "zonekeeper.secretMount" -}}
{{- $p := include "zonekeeper.provider" . }}
{{- if and (eq $p "route53") .Values.aws.credentials.secretName (eq .Values.aws.credentials.mode "file") }}
path: /etc/zonekeeper/aws
secretName: {{ .Values.aws.credentials.secretName }}
key: {{ .Values.aws.credentials.secretKey }}
{{- else if and (eq $p "cloudflare") (not .Values.cloudflare.credentials.apiKeyKey) }}
path: /etc/zonekeeper/cloudflare
secretName: {{ .Values.cloudflare.credentials.secretName }}
key: {{ .Values.cloudflare.credentials.apiTokenKey }}
{{- else if and (eq $p "rfc2136") (not .Values.rfc2136.insecure) }}
path: /etc/zonekeeper/rfc2136
secretName: {{ .Values.rfc2136.tsigSecret.secretName }}
key: {{ .Values.rfc2136.tsigSecret.secretKey }}
{{- end }}
{{- end }}
