{{/* The release's base name, cut to leave room for the component suffixes. */}}
{{- define "shardgate.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "shardgate.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: call with (dict "root" $ "component" "gateway"). */}}
{{- define "shardgate.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "shardgate.proxyImage" -}}
{{ .Values.image.proxy.repository }}:{{ .Values.image.proxy.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "shardgate.workerImage" -}}
{{ .Values.image.worker.repository }}:{{ .Values.image.worker.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The NATS URL every component uses: the bundled server's service, or the external one. */}}
{{- define "shardgate.natsUrl" -}}
{{- if .Values.nats.enabled -}}
nats://{{ .Release.Name }}-nats:4222
{{- else -}}
{{ .Values.nats.externalUrl }}
{{- end -}}
{{- end -}}

{{/* Gateway pods: ceil(totalShards / shardsPerPod). */}}
{{- define "shardgate.gatewayReplicas" -}}
{{- $total := int .Values.gateway.totalShards -}}
{{- $per := int .Values.gateway.shardsPerPod -}}
{{- div (sub (add $total $per) 1) $per -}}
{{- end -}}

{{/* Settings that contradict each other stop the render with a message naming them. */}}
{{- define "shardgate.validate" -}}
{{- if not .Values.discord.tokenSecret.name -}}
{{- fail "discord.tokenSecret.name is required: the name of an existing Secret holding the bot token (key discord.tokenSecret.key)" -}}
{{- end -}}
{{- if lt (int .Values.gateway.shardsPerPod) 1 -}}
{{- fail (printf "gateway.shardsPerPod must be at least 1, got %v" .Values.gateway.shardsPerPod) -}}
{{- end -}}
{{- if lt (int .Values.gateway.totalShards) 1 -}}
{{- fail (printf "gateway.totalShards must be at least 1, got %v" .Values.gateway.totalShards) -}}
{{- end -}}
{{- if gt (int .Values.gateway.shardsPerPod) (int .Values.gateway.totalShards) -}}
{{- fail (printf "gateway.shardsPerPod (%v) is more than gateway.totalShards (%v): one pod would own shards that do not exist" .Values.gateway.shardsPerPod .Values.gateway.totalShards) -}}
{{- end -}}
{{- if and (not .Values.nats.enabled) (not .Values.nats.externalUrl) -}}
{{- fail "NATS is needed: set nats.enabled=true to install it with the release, or nats.externalUrl to an existing server with JetStream" -}}
{{- end -}}
{{- if and .Values.nats.enabled .Values.nats.externalUrl -}}
{{- fail "set nats.enabled or nats.externalUrl, not both" -}}
{{- end -}}
{{- end -}}

{{/* The token from the existing Secret. */}}
{{- define "shardgate.tokenEnv" -}}
- name: DISCORD_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.discord.tokenSecret.name }}
      key: {{ .Values.discord.tokenSecret.key }}
{{- end -}}

{{/* Operator-given environment, after the chart's own (a later entry of the same name wins in Kubernetes). */}}
{{- define "shardgate.extraEnv" -}}
{{- range $k, $v := . }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end -}}
{{- end -}}

{{/* The JVM writes its temporary files (and zstd-jni its native library) to /tmp: the root filesystem is read-only. */}}
{{/* The writable /tmp of a read-only root file system; the argument is its size limit. */}}
{{- define "shardgate.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ . }}
{{- end -}}
