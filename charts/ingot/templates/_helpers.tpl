{{/* Labels of every object; component is "controller" or "speaker". */}}
{{- define "ingot.labels" -}}
app.kubernetes.io/name: ingot
app.kubernetes.io/component: {{ . }}
{{- end }}

{{/* Pod labels: ours, plus MetalLB's (app=metallb, component=...), so scripts written for
MetalLB, such as its install guide's `kubectl wait --selector=app=metallb`, find ingot's Pods. */}}
{{- define "ingot.podLabels" -}}
{{ include "ingot.labels" . }}
app: metallb
component: {{ . }}
{{- end }}

{{/* The image reference. */}}
{{- define "ingot.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* Arguments both daemons take. */}}
{{- define "ingot.commonArgs" -}}
- --namespace=$(NAMESPACE)
- --log-level={{ .Values.logLevel }}
{{- with .Values.lbClass }}
- --lb-class={{ . }}
{{- end }}
{{- end }}

{{/* Liveness on /healthz (the event loop answers), readiness on /readyz (informers synced, config
valid). The argument is a dict: port, and host when the listener is on loopback. */}}
{{- define "ingot.probes" -}}
{{- range $probe, $path := dict "livenessProbe" "/healthz" "readinessProbe" "/readyz" }}
{{ $probe }}:
  httpGet:
    {{- with $.host }}
    host: {{ . }}
    {{- end }}
    path: {{ $path }}
    port: {{ $.port }}
  initialDelaySeconds: 10
  periodSeconds: 10
  failureThreshold: 3
{{- end }}
{{- end }}
