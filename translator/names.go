package translator

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// maxNameLength bounds generated names: Argo refuses Workflow names over 63 characters, and Job names end up
// in the job-name label of their pods.
const maxNameLength = 63

// WorkflowName is the deterministic name of the Argo Workflow of one workflow entry of one stage of an
// execution, in one direction. It reads "<execution>-<stage>-<entry>-<workflow>[-revert]-<hash>", shortened to
// 63 characters; the hash of the full identity keeps distinct runs distinct however the parts are cut.
func WorkflowName(execution, stage string, entryIndex int, workflow string, reverse bool) string {
	suffix := ""
	if reverse {
		suffix = "-revert"
	}
	readable := execution + "-" + stage + "-" + strconv.Itoa(entryIndex) + "-" + workflow
	return boundedName(readable, suffix, 0, execution, stage, strconv.Itoa(entryIndex), workflow, suffix)
}

// JobName is the deterministic name of the Job a Job action creates, so that a restarted engine finds it
// instead of creating a second one: "<execution>-<action>-<hash>", at most 63 characters.
func JobName(execution, stage string, entryIndex int, workflow, action string) string {
	return boundedName(execution+"-"+action, "", attemptSuffixRoom, execution, stage, strconv.Itoa(entryIndex), workflow, action)
}

// attemptSuffixRoom is what JobAttemptName adds at most: "-" and the attempt number (maxRetryLimit + 1
// attempts, numbered from 0).
const attemptSuffixRoom = 4

// JobAttemptName is the Job of attempt n (0 first) of a retried Job action whose JobName is name.
func JobAttemptName(name string, attempt int) string {
	return name + "-" + strconv.Itoa(attempt)
}

// boundedName returns sanitize(readable) + suffix + "-" + hash(identity...), cutting readable so the whole fits
// maxNameLength less reserve (room for a suffix the caller adds). The result is a DNS-1123 label.
func boundedName(readable, suffix string, reserve int, identity ...string) string {
	h := sha256.New()
	for _, part := range identity {
		h.Write([]byte(part))
		h.Write([]byte{0}) // separator: ("ab","c") and ("a","bc") differ
	}
	hash := hex.EncodeToString(h.Sum(nil))[:10]
	room := maxNameLength - reserve - len(suffix) - 1 - len(hash)
	base := sanitizeName(readable)
	if len(base) > room {
		base = strings.TrimRight(base[:room], "-")
	}
	if base == "" {
		base = "dr"
	}
	return base + suffix + "-" + hash
}

// sanitizeName lowercases s, maps every character outside [a-z0-9-] to '-', collapses runs of '-' and trims
// them at both ends.
func sanitizeName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	dash := false
	for _, r := range strings.ToLower(s) {
		ok := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')
		if !ok {
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		b.WriteRune(r)
		dash = false
	}
	return strings.TrimRight(b.String(), "-")
}

// labelValue returns v when it is a valid label value, else a bounded, sanitized form with a hash (names
// of executions and workflows may be longer than a label value allows).
func labelValue(v string) string {
	if len(validation.IsValidLabelValue(v)) == 0 {
		return v
	}
	return boundedName(v, "", 0, v)
}

// reservedTemplateNames are template names the emitter uses itself; no task may take them.
var reservedTemplateNames = map[string]bool{EntrypointTemplate: true, skipTemplate: true}

// taskNames maps action names to Argo DAG task names: the action name itself when Argo accepts it
// (a DAG task using `depends` may not start with a digit) and it is not reserved, else "a" + name, with a
// hash added if that is taken. The result is deterministic for a given list.
func taskNames(actions []string) map[string]string {
	taken := make(map[string]bool, len(actions))
	out := make(map[string]string, len(actions))
	var renamed []string
	for _, a := range actions {
		if a == "" || (a[0] >= '0' && a[0] <= '9') || reservedTemplateNames[a] {
			renamed = append(renamed, a)
			continue
		}
		out[a] = a
		taken[a] = true
	}
	for _, a := range renamed {
		candidate := "a" + a
		if reservedTemplateNames[a] {
			candidate = a + "-action"
		}
		if len(candidate) > maxNameLength || taken[candidate] || reservedTemplateNames[candidate] {
			candidate = boundedName("a"+a, "", 0, a)
		}
		out[a] = candidate
		taken[candidate] = true
	}
	return out
}
