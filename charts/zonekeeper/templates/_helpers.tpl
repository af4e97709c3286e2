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

{{/*
The provider name as the daemon spells it. provider is an object with name, or
as in external-dns's chart the name alone (the schema keeps webhook out of that
form: it needs provider.webhook).
*/}}
{{- define "zonekeeper.provider" -}}
{{- $name := .Values.provider }}
{{- if kindIs "map" .Values.provider }}{{ $name = .Values.provider.name }}{{ end }}
{{- if eq $name "aws" }}route53{{ else }}{{ $name }}{{ end }}
{{- end }}

{{/*
provider.webhook as YAML; with provider given as a bare name, the empty shape the
webhook checks read.
*/}}
{{- define "zonekeeper.webhookValues" -}}
{{- if kindIs "map" .Values.provider }}
{{- toYaml .Values.provider.webhook }}
{{- else }}
{{- toYaml (dict "image" (dict "repository" "" "tag" "") "zonekeeperServer" (dict "provider" "") "args" list "env" list "url" "") }}
{{- end }}
{{- end }}

{{/*
extraArgs as a JSON list of arguments. A list is taken as it is; a map is
external-dns's form: each key is a flag name, a list value repeats the flag, true
is --flag, false is --flag=false (external-dns's --no-flag, which the daemon's
flag parser does not know), null is --flag alone. Values go through tpl in both
forms, as in external-dns's chart.
*/}}
{{- define "zonekeeper.extraArgs" -}}
{{- $out := list }}
{{- if kindIs "map" .Values.extraArgs }}
{{- range $key, $value := .Values.extraArgs }}
{{- if kindIs "invalid" $value }}
{{- $out = append $out (printf "--%s" $key) }}
{{- else if kindIs "slice" $value }}
{{- range $value }}
{{- $out = append $out (printf "--%s=%s" $key (tpl (toString .) $)) }}
{{- end }}
{{- else if kindIs "bool" $value }}
{{- $out = append $out (ternary (printf "--%s" $key) (printf "--%s=false" $key) $value) }}
{{- else }}
{{- $out = append $out (printf "--%s=%s" $key (tpl (toString $value) $)) }}
{{- end }}
{{- end }}
{{- else }}
{{- range .Values.extraArgs }}
{{- $out = append $out (tpl . $) }}
{{- end }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{/*
affinity as YAML, where a pod (anti-)affinity term without a labelSelector gets
the pod's selector labels, as external-dns's chart does: a term without one
matches no pod, which is never what "keep replicas apart" meant.
*/}}
{{- define "zonekeeper.affinity" -}}
{{- $sel := dict "matchLabels" (include "zonekeeper.selectorLabels" . | fromYaml) }}
{{- $a := deepCopy .Values.affinity }}
{{- range $kind := list "podAffinity" "podAntiAffinity" }}
{{- with index $a $kind }}
{{- range .preferredDuringSchedulingIgnoredDuringExecution }}
{{- if and .podAffinityTerm (not .podAffinityTerm.labelSelector) }}
{{- $_ := set .podAffinityTerm "labelSelector" $sel }}
{{- end }}
{{- end }}
{{- range .requiredDuringSchedulingIgnoredDuringExecution }}
{{- if not .labelSelector }}
{{- $_ := set . "labelSelector" $sel }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- toYaml $a }}
{{- end }}

{{/* topologySpreadConstraints as YAML, each without a labelSelector given the pod's, as in external-dns's chart. */}}
{{- define "zonekeeper.topologySpreadConstraints" -}}
{{- $sel := dict "matchLabels" (include "zonekeeper.selectorLabels" . | fromYaml) }}
{{- $out := list }}
{{- range .Values.topologySpreadConstraints }}
{{- $c := deepCopy . }}
{{- if not (hasKey $c "labelSelector") }}
{{- $_ := set $c "labelSelector" $sel }}
{{- end }}
{{- $out = append $out $c }}
{{- end }}
{{- toYaml $out }}
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
{{- with .Values.rbac.additionalPermissions }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
"true" when the provider is configured the way external-dns's chart does it,
through extraArgs and env alone: provider rfc2136, inmemory or cloudflare, the
chart's own rfc2136.host, inmemory.zones or cloudflare.credentials.secretName
empty, and the provider's flags (--rfc2136-…, --inmemory-…, --cloudflare-…) in
extraArgs or its variables (EXTERNAL_DNS_RFC2136_…, CF_API_…) in env. The chart
then renders none of that provider's flags, environment or mounts of its own:
its defaults would otherwise sit beside the user's (a TSIG secret file that is
not mounted, say).
*/}}
{{- define "zonekeeper.providerInArgs" -}}
{{- $p := include "zonekeeper.provider" . }}
{{- $own := dict "rfc2136" .Values.rfc2136.host "inmemory" .Values.inmemory.zones "cloudflare" .Values.cloudflare.credentials.secretName }}
{{- $envPrefix := dict "rfc2136" "EXTERNAL_DNS_RFC2136_" "inmemory" "EXTERNAL_DNS_INMEMORY_" "cloudflare" "CF_API_" }}
{{- if and (hasKey $own $p) (not (get $own $p)) }}
{{- $found := false }}
{{- range include "zonekeeper.extraArgs" . | fromJsonArray }}
{{- if hasPrefix (printf "--%s-" $p) . }}{{ $found = true }}{{ end }}
{{- end }}
{{- range .Values.env }}
{{- if hasPrefix (get $envPrefix $p) .name }}{{ $found = true }}{{ end }}
{{- end }}
{{- if $found }}true{{ end }}
{{- end }}
{{- end }}

{{/* Checks across values that the schema cannot express. */}}
{{- define "zonekeeper.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail "replicaCount above 1 needs leaderElection.enabled: true, or every replica writes the same records" }}
{{- end }}
{{- if has .Values.registry (list "aws-sd" "crd" "dynamodb") }}
{{- fail (printf "registry %s (external-dns's) is not in zonekeeper: use registry txt, whose ownership records zonekeeper reads and writes as external-dns does, or noop" .Values.registry) }}
{{- end }}
{{- if and .Values.secretConfiguration.enabled (not .Values.secretConfiguration.mountPath) }}
{{- fail "secretConfiguration.enabled needs secretConfiguration.mountPath: where the Secret is mounted in zonekeeper's container" }}
{{- end }}
{{- if and .Values.txtPrefix .Values.txtSuffix }}
{{- fail "txtPrefix and txtSuffix exclude each other: set one" }}
{{- end }}
{{- if and .Values.txtEncryption.enabled (not .Values.txtEncryption.secretName) }}
{{- fail "txtEncryption.enabled needs txtEncryption.secretName: the AES key comes from an existing Secret only" }}
{{- end }}
{{- $p := include "zonekeeper.servedProvider" . }}
{{- if include "zonekeeper.providerInArgs" . }}
{{- $p = "" }}
{{- end }}
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
{{- $p := include "zonekeeper.servedProvider" . }}
{{- if include "zonekeeper.providerInArgs" . }}
{{- $p = "" }}
{{- end }}
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
