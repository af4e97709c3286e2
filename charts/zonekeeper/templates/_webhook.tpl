{{/*
The provider whose flags, environment and credentials the chart renders, as the
daemon spells it: provider.name's provider, or with provider.name webhook the
one zonekeeper's own server serves in the sidecar
(provider.webhook.zonekeeperServer.provider), or nothing for a sidecar the
chart knows nothing about.
*/}}
{{- define "zonekeeper.servedProvider" -}}
{{- $p := include "zonekeeper.provider" . }}
{{- if ne $p "webhook" }}{{ $p }}
{{- else if eq .Values.provider.webhook.zonekeeperServer.provider "aws" }}route53
{{- else }}{{ .Values.provider.webhook.zonekeeperServer.provider }}
{{- end }}
{{- end }}

{{/*
The flags of provider .p (route53, cloudflare, rfc2136, inmemory) from .Values,
one "- --flag" line each; the same for `zonekeeper run` and `zonekeeper webhook`.
*/}}
{{- define "zonekeeper.providerArgs" -}}
{{- if eq .p "route53" }}
{{- with .Values.aws }}
{{- with .zoneType }}
- --aws-zone-type={{ . }}
{{- end }}
{{- with .zoneTags }}
- --aws-zone-tags={{ join "," . }}
{{- end }}
{{- with .assumeRole }}
- --aws-assume-role={{ . }}
{{- end }}
{{- with .assumeRoleExternalID }}
- --aws-assume-role-external-id={{ . }}
{{- end }}
- --aws-batch-change-size={{ .batchChangeSize }}
- --aws-batch-change-interval={{ .batchChangeInterval }}
- --aws-evaluate-target-health={{ .evaluateTargetHealth }}
- --aws-api-retries={{ .apiRetries }}
{{- if .preferCNAME }}
- --aws-prefer-cname
{{- end }}
- --aws-zones-cache-duration={{ .zonesCacheDuration }}
{{- with .endpointURL }}
- --aws-endpoint-url={{ . }}
{{- end }}
{{- end }}
{{- else if eq .p "cloudflare" }}
{{- with .Values.cloudflare }}
- --cloudflare-proxied={{ .proxied }}
- --cloudflare-dns-records-per-page={{ .dnsRecordsPerPage }}
{{- with .recordComment }}
- {{ printf "--cloudflare-record-comment=%s" . | quote }}
{{- end }}
- --batch-change-size={{ .batchChangeSize }}
- --batch-change-interval={{ .batchChangeInterval }}
{{- end }}
{{- else if eq .p "rfc2136" }}
{{- with .Values.rfc2136 }}
{{- range .host }}
- --rfc2136-host={{ . }}
{{- end }}
- --rfc2136-port={{ .port }}
{{- range .zones }}
- --rfc2136-zone={{ . }}
{{- end }}
{{- if .insecure }}
- --rfc2136-insecure
{{- else }}
- --rfc2136-tsig-keyname={{ .tsigKeyname }}
- --rfc2136-tsig-secret-alg={{ .tsigSecretAlg }}
- --rfc2136-tsig-secret-file=/etc/zonekeeper/rfc2136/{{ .tsigSecret.secretKey }}
{{- end }}
- --rfc2136-tsig-axfr={{ .tsigAxfr }}
{{- with .minTTL }}
- --rfc2136-min-ttl={{ . }}
{{- end }}
- --rfc2136-batch-change-size={{ .batchChangeSize }}
{{- if .useTLS }}
- --rfc2136-use-tls
{{- end }}
{{- if .skipTLSVerify }}
- --rfc2136-skip-tls-verify
{{- end }}
{{- end }}
{{- else if eq .p "inmemory" }}
{{- range .Values.inmemory.zones }}
- --inmemory-zone={{ . }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The environment of provider .p from .Values: where its credentials are (a file,
or a secretKeyRef) and the settings read from the environment, one list item
each.
*/}}
{{- define "zonekeeper.providerEnv" -}}
{{- if eq .p "route53" }}
{{- with .Values.aws.region }}
- name: AWS_REGION
  value: {{ . | quote }}
{{- end }}
{{- with .Values.aws.credentials }}
{{- if and .secretName (eq .mode "file") }}
- name: AWS_SHARED_CREDENTIALS_FILE
  value: /etc/zonekeeper/aws/{{ .secretKey }}
{{- else if .secretName }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .accessKeyIDKey }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .secretAccessKeyKey }}
{{- end }}
{{- end }}
{{- else if eq .p "cloudflare" }}
{{- with .Values.cloudflare.credentials }}
{{- if .apiKeyKey }}
- name: CF_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .apiKeyKey }}
- name: CF_API_EMAIL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .emailKey }}
{{- else }}
- name: CF_API_TOKEN
  value: file:/etc/zonekeeper/cloudflare/{{ .apiTokenKey }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* The sidecar's image: zonekeeper's own for its server, else provider.webhook.image. */}}
{{- define "zonekeeper.webhookImage" -}}
{{- if .Values.provider.webhook.zonekeeperServer.provider }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- else }}
{{- printf "%s:%s" .Values.provider.webhook.image.repository .Values.provider.webhook.image.tag }}
{{- end }}
{{- end }}

{{/*
Checks of provider.webhook that the schema cannot express, and the secrets check
of both containers' args and env (zonekeeper.refuseSecrets).
*/}}
{{- define "zonekeeper.validateWebhook" -}}
{{- $w := include "zonekeeper.webhookValues" . | fromYaml }}
{{- if eq (include "zonekeeper.provider" .) "webhook" }}
{{- if $w.zonekeeperServer.provider }}
{{- if or $w.image.repository $w.image.tag }}
{{- fail "provider.webhook.image and provider.webhook.zonekeeperServer.provider exclude each other: zonekeeper's server runs from image.repository and image.tag" }}
{{- end }}
{{- /* The server's protocol address is its default, 127.0.0.1:8888. */}}
{{- if not (has $w.url (list "http://localhost:8888" "http://127.0.0.1:8888")) }}
{{- fail (printf "provider.webhook.url %q: zonekeeper's server in the sidecar listens on 127.0.0.1:8888, so the url is http://localhost:8888 or http://127.0.0.1:8888" $w.url) }}
{{- end }}
{{- else if not (and $w.image.repository $w.image.tag) }}
{{- fail "provider name webhook needs provider.webhook.image.repository and provider.webhook.image.tag (an external-dns webhook provider image), or provider.webhook.zonekeeperServer.provider to run zonekeeper's own server" }}
{{- end }}
{{- else if $w.zonekeeperServer.provider }}
{{- fail "provider.webhook.zonekeeperServer.provider needs provider.name webhook: it runs the sidecar that zonekeeper reaches with --provider=webhook" }}
{{- end }}
{{- include "zonekeeper.refuseSecrets" (dict "args" $w.args "env" $w.env "argsAt" "provider.webhook.args" "envAt" "provider.webhook.env") }}
{{- include "zonekeeper.refuseSecrets" (dict "args" (include "zonekeeper.extraArgs" . | fromJsonArray) "env" .Values.env "argsAt" "extraArgs" "envAt" "env") }}
{{- end }}

{{/*
Fails on a secret in .args or a literal .env value; .argsAt and .envAt are where the
values say they are, for the message. A secret passed as an argument or a literal environment value shows
in the Deployment and in the process list, so names that say secret must come from
a Secret. Names ending in -file/-path (_FILE/_PATH) carry a path, and -alg/-keyname
(_ALG/_KEYNAME) say which key, not the key: those pass.
*/}}
{{- define "zonekeeper.refuseSecrets" -}}
{{- $secretish := "(?i)(token|secret|passw(or)?d|api[-_]?key|credential|private[-_]?key)" }}
{{- $notSecret := "(?i)[-_](file|path|alg|keyname)=?$" }}
{{- $args := .args | default list }}
{{- $n := len $args }}
{{- range $i, $a := $args }}
{{- /* --name=value, or --name followed by its value as the next argument. */}}
{{- $flag := regexFind "^--?[^=]+=" $a }}
{{- if and (not $flag) (regexMatch "^--?[^=]+$" $a) (lt (add1 $i) $n) (not (hasPrefix "-" (index $args (add1 $i)))) }}
{{- $flag = $a }}
{{- end }}
{{- if and $flag (regexMatch $secretish $flag) (not (regexMatch $notSecret $flag)) }}
{{- fail (printf "%s[%d] %q passes a secret on the command line: put it in a Secret and set it through %s with valueFrom.secretKeyRef" $.argsAt $i (trimSuffix "=" $flag) $.envAt) }}
{{- end }}
{{- end }}
{{- range $i, $e := .env | default list }}
{{- if and (hasKey $e "value") (regexMatch $secretish $e.name) (not (regexMatch $notSecret $e.name)) }}
{{- fail (printf "%s[%d] %s holds a literal value: a secret comes from a Secret, with valueFrom.secretKeyRef" $.envAt $i $e.name) }}
{{- end }}
{{- end }}
{{- end }}
