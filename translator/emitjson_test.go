package translator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
)

// TestMarshalTaskActionsMatchesJSON: the direct writer gives encoding/json's bytes.
func TestMarshalTaskActionsMatchesJSON(t *testing.T) {
	for _, m := range []map[string]string{
		{},
		{"a": "a"},
		{"b-1": "b-1", "a0": "0a", "z.y_x": "Z", "c": "x", "b": "y", "a": "z"},
		{"a": "<&>", "b": "é"},
		{"a\"": "x\\", "b": "\u2028"},
	} {
		tasks := make(map[string]string, len(m)) // action -> task, the inverse of m
		for task, action := range m {
			tasks[action] = task
		}
		got, err := marshalTaskActions(tasks)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(m)
		if string(got) != string(want) {
			t.Errorf("%v: got %s, want %s", m, got, want)
		}
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
		if got := boundedName("name", "", identity...); !strings.HasSuffix(got, "-"+want) {
			t.Errorf("%q: got %s, want hash %s", identity, got, want)
		}
	}
}
