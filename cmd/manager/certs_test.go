package main

import (
	"strings"
	"testing"
)

func TestCertOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		c       certOptions
		podNS   string
		wantErr string
	}{
		{name: "provided needs nothing", c: certOptions{mode: certsProvided}},
		{name: "self with a namespace flag", c: certOptions{mode: certsSelf, namespace: "drplan-system"}},
		{name: "self with POD_NAMESPACE", c: certOptions{mode: certsSelf}, podNS: "ops"},
		{name: "self without a namespace", c: certOptions{mode: certsSelf}, wantErr: "needs --webhook-cert-namespace or $POD_NAMESPACE"},
		{name: "unknown mode", c: certOptions{mode: "cert-manager"}, wantErr: `unknown value "cert-manager": want self or provided`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("POD_NAMESPACE", tc.podNS)
			err := tc.c.validate()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("got %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestSplitNames(t *testing.T) {
	got := strings.Join(splitNames(" localhost, ,webhook.example.com,"), "|")
	if got != "localhost|webhook.example.com" {
		t.Fatalf("got %q", got)
	}
}
