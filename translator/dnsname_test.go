package translator

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

// TestDNSNameChecksMatchValidation: the fast checks agree with the validation package they stand in front of.
func TestDNSNameChecksMatchValidation(t *testing.T) {
	cases := []string{"", "a", "A", "0", "-", "a-", "-a", "a-b", "a--b", "ab.cd", "a.", ".a", "a..b", "a.-b", "a_b",
		"step-0001", "clusternet-xy34z", "Step", "a b", "a\n", "é", "a.b.c-d.e",
		strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("a", 253), strings.Repeat("a", 254),
		strings.Repeat("a.", 126) + "a", strings.Repeat("a.", 127) + "a"}
	// Every string of up to three characters over an alphabet with each class of character.
	alphabet := []string{"a", "0", "-", ".", "A", "_"}
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		cases = append(cases, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(prefix+c, n-1)
		}
	}
	gen("", 3)
	for _, s := range cases {
		if got, want := isDNSLabel(s), len(validation.IsDNS1123Label(s)) == 0; got != want {
			t.Errorf("isDNSLabel(%q) = %v, validation says %v", s, got, want)
		}
		if got, want := isDNSSubdomain(s), len(validation.IsDNS1123Subdomain(s)) == 0; got != want {
			t.Errorf("isDNSSubdomain(%q) = %v, validation says %v", s, got, want)
		}
	}
}
