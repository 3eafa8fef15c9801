package translator

import (
	"reflect"
	"strings"
	"testing"
)

// manifestSamples are manifests as users write them, plus edge cases of the fast path's subset.
var manifestSamples = []string{
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dr-marker, namespace: shop}\ndata: {cluster: \"clusternet-xy34z\"}\n",
	"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    app.kubernetes.io/name: x\n    \"quoted key\": 'single'\ndata:\n  k: v\n",
	`apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 3
  paused: false
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels:
        app: api
    spec:
      # a comment line
      containers:
      - name: api
        image: registry.example/api:1.2.3
        args: [--port, "8080", -v]
        ports:
          - containerPort: 8080
            protocol: TCP
        env:
        - name: A
          value: "x: y # not a comment"
        - name: B
      volumes: []
      nodeSelector: {}
`,
	"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  url: https://x.example/a?b\n  empty: \"\"\n  nothing:\n  neg: -12\n  zero: 0\n  flag: --x\n  bool: yes\n  q: a?b=c&d=%41\n",
	"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nyes: yes\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: yes, b: No, c: ON, d: null, e: ~, f: 0777, g: 1.5, h: 2024-01-02}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  script: |\n    echo hi\n",
	"apiVersion: v1\nkind: List\nmetadata: {name: a}\nitems:\n- - nested\n- -\n- \"x\"\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: b,}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  a: b\n  a: c\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  a: multi\n    line\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nyes: 1\n",
	"apiVersion: v1\r\nkind: ConfigMap\r\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: \"\\u00e9\"}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: 'it''s'}\n",
	"kind: [",
	"apiVersion: v1\nkind: ConfigMap\n",
	"- a\n- b\n",
	"a: b: c\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {x: [1, -2, y], z: \"\"}}\n",
	"  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n   name: a\n",
	// yaml.v2 refuses a key whose ":" is more than 1024 characters on, and nesting past 10000 levels.
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  " + strings.Repeat("k", 1100) + ": v\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {\"" + strings.Repeat("k", 1100) + "\": v}\n",
	"apiVersion: v1\nkind: List\nmetadata: {name: a}\nitems: " + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + "\n",
	// "?" ends a plain scalar in flow context (found by FuzzParseManifestFast), not in block context.
	"A: [A?]",
	"A: {a: b?c}\nB: b?c\n",
}

// TestParseManifestFastMatchesGeneral: whatever the fast path reads, it reads as the general path does.
func TestParseManifestFastMatchesGeneral(t *testing.T) {
	for _, m := range manifestSamples {
		checkFastManifest(t, m)
	}
}

// TestParseManifestFastTakesCommonManifests: the fast path must not quietly stop taking the usual shapes.
func TestParseManifestFastTakesCommonManifests(t *testing.T) {
	for _, i := range []int{0, 1, 2, 3} {
		if _, ok := parseManifestFast(manifestSamples[i]); !ok {
			t.Errorf("fast path declined sample %d:\n%s", i, manifestSamples[i])
		}
	}
	wf, _ := benchWorkflow(5, "mixed")
	if m := wf.Spec.Actions[3].Resource.Manifest; m != "" {
		if _, ok := parseManifestFast(m); !ok {
			t.Errorf("fast path declined the benchmark manifest:\n%s", m)
		}
	}
}

func checkFastManifest(t *testing.T, manifest string) {
	t.Helper()
	fast, ok := parseManifestFast(manifest)
	if !ok {
		return
	}
	general, err := parseManifestGeneral(manifest)
	if err != nil {
		t.Fatalf("fast path read %q, the general path rejects it: %v", manifest, err)
	}
	if !reflect.DeepEqual(fast, general) {
		t.Fatalf("fast and general paths differ on %q:\nfast:    %#v\ngeneral: %#v", manifest, fast, general)
	}
}

// FuzzParseManifestFast holds parseManifestFast to the general path on arbitrary text.
func FuzzParseManifestFast(f *testing.F) {
	for _, m := range manifestSamples {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, manifest string) {
		checkFastManifest(t, manifest)
	})
}
