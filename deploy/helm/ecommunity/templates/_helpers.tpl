{{/*
Shared helpers of the eCommunity chart.

The one shape every component has (Deployment + Service, and its optional PodDisruptionBudget,
HorizontalPodAutoscaler and ServiceMonitor) is "ecommunity.component" at the end of this file;
each templates/<component>.yaml only includes it with the component's name. Helpers that need
both the root context and a component take (dict "root" $ "name" "<component>").
*/}}

{{/* The components, in the order of kernel/config.py's SERVICES, then the gateway. */}}
{{- define "ecommunity.services" -}}
identity spaces publishing gamification hotline
{{- end -}}

{{- define "ecommunity.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>-ecommunity, or the release name alone when it already contains the chart name. */}}
{{- define "ecommunity.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "ecommunity.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of a component's resources: <fullname>-<component>. Takes (dict "root" $ "name" ...). */}}
{{- define "ecommunity.componentFullname" -}}
{{- $fullname := include "ecommunity.fullname" .root | trunc (int (sub 62 (len .name))) | trimSuffix "-" -}}
{{- printf "%s-%s" $fullname .name -}}
{{- end -}}

{{/* Labels of resources that belong to no component (ConfigMap, Secret). Takes the root. */}}
{{- define "ecommunity.commonLabels" -}}
helm.sh/chart: {{ include "ecommunity.chart" . }}
app.kubernetes.io/name: {{ include "ecommunity.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ecommunity
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of a component. Takes (dict "root" $ "name" ...). Never change them: selectors are immutable. */}}
{{- define "ecommunity.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ecommunity.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* All labels of a component's resources. Takes (dict "root" $ "name" ...). */}}
{{- define "ecommunity.labels" -}}
{{ include "ecommunity.commonLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "ecommunity.configMapName" -}}
{{- include "ecommunity.fullname" . | trunc 56 | trimSuffix "-" -}}-config
{{- end -}}

{{- define "ecommunity.migrationJobName" -}}
{{- include "ecommunity.fullname" . | trunc 55 | trimSuffix "-" -}}-migrate
{{- end -}}

{{- define "ecommunity.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "ecommunity.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ecommunity.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
A value as an environment variable's string. YAML numbers reach templates as float64, so a plain
`toString` would write 1048576 as "1.048576e+06": whole numbers are printed as integers.
*/}}
{{- define "ecommunity.envValue" -}}
{{- if kindIs "float64" . -}}
{{- if eq . (floor .) -}}{{ printf "%d" (int64 .) }}{{- else -}}{{ . }}{{- end -}}
{{- else if kindIs "invalid" . -}}
{{- else -}}
{{- . -}}
{{- end -}}
{{- end -}}

{{/*
The non-secret environment every process gets, as a YAML map of strings: `config`, plus the
ports derived from each component's `port`. Refuses keys that belong elsewhere.
*/}}
{{- define "ecommunity.configData" -}}
{{- $data := dict -}}
{{- range $key, $value := .Values.config -}}
{{- if or (eq $key "AMQP_URI") (eq $key "DATABASE_URL") -}}
{{- fail (printf "config.%s: connection URLs hold passwords; name their Secret in secrets.amqpUri / secrets.databaseUrl instead" $key) -}}
{{- end -}}
{{- if or (eq $key "GATEWAY_PORT") (hasSuffix "_HTTP_PORT" $key) -}}
{{- fail (printf "config.%s: set the component's port (e.g. gateway.port, identity.port) instead" $key) -}}
{{- end -}}
{{- if not (regexMatch "^[A-Z_][A-Z0-9_]*$" $key) -}}
{{- fail (printf "config.%s: keys are environment variable names (UPPER_CASE)" $key) -}}
{{- end -}}
{{- $_ := set $data $key (include "ecommunity.envValue" $value) -}}
{{- end -}}
{{- range $service := splitList " " (include "ecommunity.services" .) -}}
{{- $_ := set $data (printf "%s_HTTP_PORT" (upper $service)) (include "ecommunity.envValue" (index $.Values $service).port) -}}
{{- end -}}
{{- $_ := set $data "GATEWAY_PORT" (include "ecommunity.envValue" .Values.gateway.port) -}}
{{- toYaml $data -}}
{{- end -}}

{{/* AMQP_URI and DATABASE_URL from their Secrets, as EnvVar list items. Takes the root. */}}
{{- define "ecommunity.secretEnv" -}}
- name: AMQP_URI
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.amqpUri.name is required" .Values.secrets.amqpUri.name | quote }}
      key: {{ required "secrets.amqpUri.key is required" .Values.secrets.amqpUri.key | quote }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.databaseUrl.name is required" .Values.secrets.databaseUrl.name | quote }}
      key: {{ required "secrets.databaseUrl.key is required" .Values.secrets.databaseUrl.key | quote }}
{{- end -}}

{{/* The writable /tmp: volume and mount. Takes the root. */}}
{{- define "ecommunity.tmpVolume" -}}
- name: tmp
  emptyDir:
    {{- with .Values.tmpVolume.medium }}
    medium: {{ . }}
    {{- end }}
    {{- with .Values.tmpVolume.sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
{{- end -}}

{{- define "ecommunity.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* An HTTP probe on the container's "http" port. Takes (dict "path" ... "settings" ...). */}}
{{- define "ecommunity.httpProbe" -}}
httpGet:
  path: {{ .path }}
  port: http
{{ toYaml (omit .settings "enabled") }}
{{- end -}}

{{/*
The shape of one component: Deployment + Service, and when enabled its PodDisruptionBudget,
HorizontalPodAutoscaler and ServiceMonitor. Takes (dict "root" $ "name" "<component>"), reads the
component's values block `.Values.<component>` and falls back to the shared settings.
*/}}
{{- define "ecommunity.component" -}}
{{- $root := .root -}}
{{- $name := .name -}}
{{- $c := index $root.Values $name -}}
{{- if $c.enabled }}
{{- $ctx := dict "root" $root "name" $name -}}
{{- $fullname := include "ecommunity.componentFullname" $ctx -}}
{{- $autoscaling := $c.autoscaling | default dict -}}
{{- $pdb := $c.podDisruptionBudget | default dict -}}
{{- $service := $c.service | default dict -}}
{{- $probes := mergeOverwrite (deepCopy $root.Values.probes) ($c.probes | default dict) -}}
{{- $port := required (printf "%s.port is required" $name) $c.port -}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "ecommunity.labels" $ctx | nindent 4 }}
spec:
  {{- if not $autoscaling.enabled }}
  replicas: {{ $c.replicas }}
  {{- end }}
  revisionHistoryLimit: {{ $root.Values.revisionHistoryLimit }}
  selector:
    matchLabels:
      {{- include "ecommunity.selectorLabels" $ctx | nindent 6 }}
  strategy:
    {{- toYaml ($c.strategy | default $root.Values.strategy) | nindent 4 }}
  template:
    metadata:
      labels:
        {{- include "ecommunity.labels" $ctx | nindent 8 }}
        {{- with (merge dict ($c.podLabels | default dict) $root.Values.podLabels) }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
        {{- if $root.Values.secrets.create }}
        checksum/secret: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
        {{- end }}
        {{- if $root.Values.metrics.podAnnotations }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ include "ecommunity.envValue" $port | quote }}
        prometheus.io/path: /metrics
        {{- end }}
        {{- with (merge dict ($c.podAnnotations | default dict) $root.Values.podAnnotations) }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      serviceAccountName: {{ include "ecommunity.serviceAccountName" $root }}
      automountServiceAccountToken: {{ $root.Values.serviceAccount.automountToken }}
      # Service links would inject <SERVICE>_PORT-style variables that can shadow our settings.
      enableServiceLinks: false
      {{- with ($c.priorityClassName | default $root.Values.priorityClassName) }}
      priorityClassName: {{ . }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds | default $root.Values.terminationGracePeriodSeconds }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ $name }}
          image: {{ include "ecommunity.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: ["ecommunity-service", {{ $name | quote }}]
          ports:
            - name: http
              containerPort: {{ $port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "ecommunity.configMapName" $root }}
          env:
            {{- include "ecommunity.secretEnv" $root | nindent 12 }}
            {{- range $key, $value := $c.env }}
            - name: {{ $key }}
              value: {{ include "ecommunity.envValue" $value | quote }}
            {{- end }}
            {{- with $c.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- if $probes.startup.enabled }}
          startupProbe:
            {{- include "ecommunity.httpProbe" (dict "path" "/healthz" "settings" $probes.startup) | nindent 12 }}
          {{- end }}
          {{- if $probes.liveness.enabled }}
          livenessProbe:
            {{- include "ecommunity.httpProbe" (dict "path" "/healthz" "settings" $probes.liveness) | nindent 12 }}
          {{- end }}
          {{- if $probes.readiness.enabled }}
          readinessProbe:
            {{- include "ecommunity.httpProbe" (dict "path" "/readyz" "settings" $probes.readiness) | nindent 12 }}
          {{- end }}
          {{- with $c.lifecycle }}
          lifecycle:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          resources:
            {{- toYaml ($c.resources | default dict) | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            {{- include "ecommunity.tmpVolumeMount" $root | nindent 12 }}
      volumes:
        {{- include "ecommunity.tmpVolume" $root | nindent 8 }}
      {{- with ($c.nodeSelector | default $root.Values.nodeSelector) }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with ($c.affinity | default $root.Values.affinity) }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with ($c.tolerations | default $root.Values.tolerations) }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if $c.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml $c.topologySpreadConstraints | nindent 8 }}
      {{- else if $root.Values.topologySpread.enabled }}
      topologySpreadConstraints:
        - maxSkew: {{ $root.Values.topologySpread.maxSkew }}
          topologyKey: {{ $root.Values.topologySpread.topologyKey }}
          whenUnsatisfiable: {{ $root.Values.topologySpread.whenUnsatisfiable }}
          labelSelector:
            matchLabels:
              {{- include "ecommunity.selectorLabels" $ctx | nindent 14 }}
      {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "ecommunity.labels" $ctx | nindent 4 }}
  {{- with $service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $service.type | default "ClusterIP" }}
  selector:
    {{- include "ecommunity.selectorLabels" $ctx | nindent 4 }}
  ports:
    - name: http
      port: {{ $service.port | default $port }}
      targetPort: http
      protocol: TCP
{{- if $pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $fullname }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "ecommunity.labels" $ctx | nindent 4 }}
spec:
  {{- if not (kindIs "invalid" $pdb.minAvailable) }}
  minAvailable: {{ $pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $pdb.maxUnavailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "ecommunity.selectorLabels" $ctx | nindent 6 }}
{{- end }}
{{- if $autoscaling.enabled }}
{{- if and (not $autoscaling.targetCPUUtilizationPercentage) (not $autoscaling.targetMemoryUtilizationPercentage) }}
{{- fail (printf "%s.autoscaling: set targetCPUUtilizationPercentage and/or targetMemoryUtilizationPercentage" $name) }}
{{- end }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $fullname }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "ecommunity.labels" $ctx | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $fullname }}
  minReplicas: {{ $autoscaling.minReplicas }}
  maxReplicas: {{ $autoscaling.maxReplicas }}
  metrics:
    {{- with $autoscaling.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
    {{- with $autoscaling.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
  {{- with $autoscaling.behavior }}
  behavior:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- if $root.Values.metrics.serviceMonitor.enabled }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ $fullname }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "ecommunity.labels" $ctx | nindent 4 }}
    {{- with $root.Values.metrics.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "ecommunity.selectorLabels" $ctx | nindent 6 }}
  endpoints:
    - port: http
      path: /metrics
      interval: {{ $root.Values.metrics.serviceMonitor.interval }}
      scrapeTimeout: {{ $root.Values.metrics.serviceMonitor.scrapeTimeout }}
{{- end }}
{{- end }}
{{- end -}}
