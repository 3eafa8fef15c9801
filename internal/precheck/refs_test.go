package precheck

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

func TestReferences(t *testing.T) {
	obj := func(doc string) map[string]any {
		// Decoded as the translator decodes manifests: numbers stay json.Number.
		d := json.NewDecoder(bytes.NewReader([]byte(doc)))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	job := obj(`{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"spec":{"backoffLimit":1,"template":{"spec":{
		"volumes":[{"name":"conf","configMap":{"name":"settings"}},{"name":"tls","secret":{"secretName":"certs","optional":true}}],
		"initContainers":[{"name":"init","image":"x","envFrom":[{"secretRef":{"name":"creds"}}]}],
		"containers":[{"name":"main","image":"x","env":[{"name":"TOKEN","valueFrom":{"secretKeyRef":{"name":"token","key":"t"}}},{"name":"PLAIN","value":"v"}]}]}}}}`)
	sub := obj(`{"apiVersion":"apps.clusternet.io/v1alpha1","kind":"Subscription","spec":{"feeds":[
		{"apiVersion":"apps/v1","kind":"Deployment","name":"api","namespace":"shop"},{"apiVersion":"v1","kind":"Service","name":"front"}]}}`)
	for _, tc := range []struct {
		name string
		req  translator.ResourceRequest
		want []string // "<Kind> <ns>/<name> via <via> optional=<bool>"
	}{
		{"job pod template", translator.ResourceRequest{Operation: v1alpha1.OperationCreate, APIVersion: "batch/v1", Kind: "Job", Object: job}, []string{
			"ConfigMap ns/settings volume conf false", "Secret ns/certs volume tls true", "Secret ns/creds envFrom of container init false",
			"Secret ns/token env TOKEN of container main false"}},
		{"subscription feeds", translator.ResourceRequest{Operation: v1alpha1.OperationApply, APIVersion: translator.ClusternetAPIVersion, Kind: "Subscription", Object: sub}, []string{
			"Deployment shop/api spec.feeds[0] false", "Service ns/front spec.feeds[1] false"}},
		{"a delete needs nothing", translator.ResourceRequest{Operation: v1alpha1.OperationDelete, APIVersion: translator.ClusternetAPIVersion, Kind: "Subscription", Object: sub}, nil},
		{"other kinds", translator.ResourceRequest{Operation: v1alpha1.OperationCreate, APIVersion: "v1", Kind: "ConfigMap", Object: obj(`{}`)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range references(&tc.req, "ns") {
				got = append(got, r.String()+" "+r.Via+" "+map[bool]string{true: "true", false: "false"}[r.Optional])
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
			}
		})
	}
}

func TestWithReferences(t *testing.T) {
	ok := passed("dry run")
	if v := withReferences(ok, []string{"envFrom of container main names ConfigMap ns/x, which does not exist"}, nil); v.phase != v1alpha1.ActionFailed {
		t.Fatalf("a missing reference must fail: %+v", v)
	}
	if v := withReferences(ok, nil, []string{"Secret ns/s not verified"}); v.phase != v1alpha1.ActionSucceeded || v.message != ok.message+"; Secret ns/s not verified" {
		t.Fatalf("a note keeps the pass: %+v", v)
	}
	bad := failed("Forbidden")
	if v := withReferences(bad, nil, []string{"n"}); v != bad {
		t.Fatalf("a failed dry run stays as it was: %+v", v)
	}
}
