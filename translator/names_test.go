package translator

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation"
)

func TestWorkflowName(t *testing.T) {
	g := NewWithT(t)
	long := strings.Repeat("very-long-execution-name-", 10)
	names := map[string]bool{}
	for _, tc := range []struct {
		exec, stage string
		entry       int
		wf          string
		reverse     bool
	}{
		{"run-1", "traffic", 0, "shift", false},
		{"run-1", "traffic", 0, "shift", true},
		{"run-1", "traffic", 1, "shift", false},
		{"run-1", "dns", 0, "shift", false},
		{"run-1-traffic", "0", 0, "shift", false}, // same readable text as a different split
		{long, "traffic", 0, "web.tier.failover", false},
		{long, "traffic", 0, "web.tier.failover", true},
		{"UPPER_case", "s", 0, "w", false},
	} {
		name := WorkflowName(tc.exec, tc.stage, tc.entry, tc.wf, tc.reverse)
		g.Expect(validation.IsDNS1123Label(name)).To(BeEmpty(), name)
		g.Expect(name).To(Equal(WorkflowName(tc.exec, tc.stage, tc.entry, tc.wf, tc.reverse)), "deterministic")
		g.Expect(strings.Contains(name, "-revert-")).To(Equal(tc.reverse), name)
		g.Expect(names[name]).To(BeFalse(), "collision: "+name)
		names[name] = true
	}
	g.Expect(WorkflowName("run-1", "traffic", 0, "shift", false)).To(HavePrefix("run-1-traffic-0-shift-"))
}

func TestJobName(t *testing.T) {
	g := NewWithT(t)
	a := JobName("run-1", "s", 0, "wf", "verify")
	g.Expect(a).To(HavePrefix("run-1-verify-"))
	g.Expect(validation.IsDNS1123Label(a)).To(BeEmpty())
	g.Expect(JobName("run-1", "s", 1, "wf", "verify")).NotTo(Equal(a), "entries differ")
	g.Expect(validation.IsDNS1123Label(JobName(strings.Repeat("x", 200), "s", 0, "wf", strings.Repeat("y", 63)))).To(BeEmpty())
}

func TestTaskNames(t *testing.T) {
	g := NewWithT(t)
	got := taskNames([]string{"notify", "1st", "a1st", "main", "main-action", "skip", "9"})
	g.Expect(got["notify"]).To(Equal("notify"))
	g.Expect(got["a1st"]).To(Equal("a1st"))
	g.Expect(got["1st"]).To(HavePrefix("a1st-"), "a1st is taken")
	g.Expect(got["main-action"]).To(Equal("main-action"))
	g.Expect(got["main"]).NotTo(Equal("main-action"))
	g.Expect(got["main"]).NotTo(Equal(EntrypointTemplate))
	g.Expect(got["skip"]).NotTo(Equal(skipTemplate))
	g.Expect(got["9"]).To(Equal("a9"))
	seen := map[string]bool{}
	for _, task := range got {
		g.Expect(seen[task]).To(BeFalse(), task)
		seen[task] = true
		g.Expect(task[0] < '0' || task[0] > '9').To(BeTrue(), task)
	}
}

func TestEmitIsByteStable(t *testing.T) {
	g := NewWithT(t)
	wf := validWorkflow(t)
	in := testInput(t, wf, paramValues("toCluster", "clusternet-a", "replicas", "2")...)
	var first []byte
	for i := 0; i < 5; i++ {
		_, out, err := CompileForward(in, EmitOptions{Validate: i == 0})
		g.Expect(err).NotTo(HaveOccurred())
		b, err := MarshalWorkflowsYAML(toList(out))
		g.Expect(err).NotTo(HaveOccurred())
		if first == nil {
			first = b
		}
		g.Expect(string(b)).To(Equal(string(first)))
	}
}

// TestBoundedNameHash: the hash in generated names is the first 10 hex digits of the SHA-256 of the identity
// parts, each followed by a zero byte, for short and long identities alike.
func TestBoundedNameHash(t *testing.T) {
	for _, identity := range [][]string{{"a"}, {"run-1", "s", "0", "wf", "verify"}, {strings.Repeat("x", 300), "", "y"}} {
		h := sha256.New()
		for _, p := range identity {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
		want := hex.EncodeToString(h.Sum(nil))[:10]
		if got := boundedName("name", "", 0, identity...); !strings.HasSuffix(got, "-"+want) {
			t.Errorf("%q: got %s, want hash %s", identity, got, want)
		}
	}
}
